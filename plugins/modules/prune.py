#!/usr/bin/python
# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: prune
short_description: Clean the whole host in one plan - containers, images, and opted-in volumes, networks and build cache
version_added: 0.2.0
description:
  - Reads the engine once, plans every kind of object, then removes exactly the planned objects. Check mode returns
    the same plan without touching anything. Every object looked at is returned in RV(removed) or RV(kept) with its
    O(ignore:kind) and one reason.
  - "The plan cascades, in the order a real run applies it: containers first; an image whose only users are
    containers removed in the same plan is a candidate in the same run, and so are an anonymous volume they mounted
    and a network they were configured on. So check mode shows what one real run removes, not what three runs do."
  - Containers and images are pruned by default with the safe defaults of M(tidy.docker.container_prune) and
    M(tidy.docker.image_prune) (stopped containers without a restart policy that brings them back; dangling images).
    Volumes, networks and build cache are pruned only when their option is given; volumes hold data.
  - Each kind takes the options of the module that prunes it alone, grouped under the kind, with the same meaning,
    the same checks and the same reasons (see L(the policies, docs/policies.md)).
  - Anything carrying O(protect_label) is never removed, whatever the kind; reason V(excluded_label).
  - Objects named in O(containers.remove) and O(images.remove) (a decommissioned service and its images) are part of
    the same plan, so the images their containers used are freed in the same run too.
  - Races with other actors are recorded in RV(kept) (V(running), V(in_use), V(conflict), V(gone)), never fatal.
  - When the engine fails once the removals began (no answer within O(timeout), the connection lost, another engine
    error), no further removal starts and the task fails with C(changed=true) and its usual returns; what went is in
    RV(removed), the rest in RV(kept) as V(failed) (asked, not confirmed) or V(not_attempted); a rerun finishes.
options:
  containers:
    description:
      - How to prune stopped containers; the options of M(tidy.docker.container_prune). Pruned unless
        O(containers.enabled=false).
    type: dict
    default: {}
    suboptions:
      enabled:
        description:
          - V(false) prunes no container by policy; those named in O(containers.remove) still go. Containers always
            count as users of images, volumes and networks.
        type: bool
      statuses:
        description: The stopped states to prune.
        type: list
        elements: str
        choices: [exited, created, dead]
        default: [exited, dead]
      older_than:
        description: Only containers stopped longer ago than this duration (V(12h), V(7d)); never-started ones from creation.
        type: str
      names:
        description: Glob patterns of container names to consider; others are kept as V(not_selected).
        type: list
        elements: str
        default: []
      exclude_names:
        description: Glob patterns of names, or ids, never to remove; reason V(excluded_name).
        type: list
        elements: str
        default: []
      labels:
        description: Only containers carrying all these labels (V(key) or V(key=value)); others are V(not_selected).
        type: list
        elements: str
        default: []
      exclude_labels:
        description: Containers carrying any of these labels are never removed; reason V(excluded_label).
        type: list
        elements: str
        default: []
      exclude_restart_policies:
        description: Stopped containers with these restart policies are kept as V(restart_policy); V([]) prunes them too.
        type: list
        elements: str
        choices: ['no', always, on-failure, unless-stopped]
        default: [always, unless-stopped]
      max_removals:
        description: At most this many containers per run, oldest first; the rest are kept as V(max_removals). V(0) is no cap.
        type: int
        default: 0
      remove:
        description:
          - Names or ids (full, or at least 12 digits) of containers to remove whatever the other options say, a
            decommissioned service for example; a running one is stopped first. Reason V(named). Only a label in
            O(containers.exclude_labels) or O(protect_label) spares one (V(excluded_label)). Absent ones are ignored,
            so a rerun changes nothing. Not counted by O(containers.max_removals).
        type: list
        elements: str
        default: []
      stop_timeout:
        description: Seconds a named running container has to stop before it is killed (0 to 3600).
        type: int
        default: 10
      keep_volumes:
        description:
          - Without O(volumes), keep the anonymous volumes of removed containers; V(false) removes them with the
            container, like C(docker rm -v). With O(volumes), they go by the volume plan, each with its own reason.
        type: bool
        default: true
      remove_keep_volumes:
        description:
          - O(containers.keep_volumes) for the containers named in O(containers.remove) only (default, the same
            value). A decommissioned service often leaves volumes worth keeping while job leftovers do not, or the
            reverse.
        type: bool
  images:
    description:
      - How to prune images; the options of M(tidy.docker.image_prune). Pruned unless O(images.enabled=false).
    type: dict
    default: {}
    suboptions:
      enabled:
        description: V(false) prunes no image by policy; those named in O(images.remove) still go.
        type: bool
      scope:
        description: V(dangling) considers untagged images only; V(unused) every image no container uses.
        type: str
        choices: [dangling, unused]
        default: dangling
      older_than:
        description: Only images created longer ago than this duration.
        type: str
      keep_last:
        description: Per repository, keep the N newest tagged images (counting those in use); reason V(within_keep_last).
        type: int
      exclude:
        description: Reference globs (V(postgres:*)) or ids never removed; reason V(excluded_name).
        type: list
        elements: str
        default: []
      labels:
        description: Only images carrying all these labels; others are V(not_selected).
        type: list
        elements: str
        default: []
      exclude_labels:
        description: Images carrying any of these labels are never removed; reason V(excluded_label).
        type: list
        elements: str
        default: []
      keep_unpullable:
        description: In O(images.scope=unused), keep tagged images without a registry digest (they cannot be pulled again).
        type: bool
        default: true
      max_image_usage:
        description:
          - Watermark mode. When images use more than this (a size like V(20GB), or a share of the engine's filesystem
            like V(85%)), remove least recently used images until usage is at or below O(images.target_image_usage).
        type: str
      target_image_usage:
        description: The low mark of watermark mode (default O(images.max_image_usage)).
        type: str
      force:
        description: Remove an image with several tags by id (all its tags at once) instead of tag by tag.
        type: bool
        default: false
      max_removals:
        description: At most this many images per run (children first, then oldest or least recently used first).
        type: int
        default: 0
      remove:
        description:
          - References (V(shop/web:4); no tag means V(latest)) or ids of images to remove whatever the other options
            say; reason V(named). An image named by some of its tags only loses those tags and stays (V(untagged)).
            Still kept when a container uses it (V(in_use), unless that container goes in the same plan), when it
            carries O(images.exclude_labels) or O(protect_label) (V(excluded_label)), or when an image built on it
            stays (V(parent_of_kept)). Absent ones are ignored. Not counted by O(images.max_removals).
        type: list
        elements: str
        default: []
  volumes:
    description:
      - Prune volumes no container uses (or only containers this plan removes). Off unless given; O(volumes={})
        prunes anonymous volumes.
      - A volume is anonymous when the engine labelled it C(com.docker.volume.anonymous) (Docker 23 and newer) or,
        on older engines, when its name is 64 hexadecimal digits, as the engine names the volumes it makes itself.
    type: dict
    suboptions:
      enabled:
        description: V(false) turns volume pruning off even though the dict is given.
        type: bool
      anonymous:
        description: Remove unused anonymous volumes.
        type: bool
        default: true
      named:
        description: Remove unused named volumes too (they usually hold data someone named on purpose).
        type: bool
        default: false
      exclude_labels:
        description: Volumes carrying any of these labels are never removed; reason V(excluded_label).
        type: list
        elements: str
        default: []
  networks:
    description:
      - Prune custom networks no container, running or stopped, is configured on (or only containers this plan
        removes). Off unless given; V(bridge), V(host), V(none) are never touched.
    type: dict
    suboptions:
      enabled:
        description: V(false) turns network pruning off even though the dict is given.
        type: bool
      exclude_labels:
        description: Networks carrying any of these labels are never removed; reason V(excluded_label).
        type: list
        elements: str
        default: []
  build_cache:
    description:
      - Prune build cache records not in use. Off unless given.
    type: dict
    suboptions:
      enabled:
        description: V(false) turns build cache pruning off even though the dict is given.
        type: bool
      older_than:
        description: Only records unused for longer than this duration (V(24h), V(7d)).
        type: str
  usage_state_path:
    description:
      - A small JSON file on the managed node where each run records when each image was last seen in use, for the
        least-recently-used order of watermark mode. Writing it is not a change; check mode does not write it.
    type: path
    default: ~/.cache/tidy.docker/image-usage.json
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
  - tidy.docker._attributes.actions
  - tidy.docker._prune_options.run
  - tidy.docker._prune_options.protect
seealso:
  - module: tidy.docker.container_prune
  - module: tidy.docker.image_prune
  - module: tidy.docker.engine_prune
  - name: How tidy.docker decides
    description: Every rule and reason, in order.
    link: docs/policies.md
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
- name: The safe default - stopped containers without a restart policy, then dangling images
  tidy.docker.prune:

- name: Everything a day old and unused, with the images the removed containers leave unused, in one run
  tidy.docker.prune:
    containers:
      older_than: 1d
    images:
      scope: unused
      keep_last: 2
    volumes: {}
    networks: {}
    build_cache:
      older_than: 7d

- name: Show the plan across the fleet without touching anything
  tidy.docker.prune:
    images:
      scope: unused
  check_mode: true
  register: plan

- name: Print what would go, kind by kind
  ansible.builtin.debug:
    msg: "{{ plan.removed | map(attribute='kind') | zip(plan.removed | map(attribute='names')) | list }}"

- name: Only images, kept under 80% of the disk
  tidy.docker.prune:
    containers:
      enabled: false
    images:
      scope: unused
      max_image_usage: 80%
      target_image_usage: 70%
"""

RETURN = r"""
removed:
  description: Objects removed (or, in check mode, that would be), in removal order, kind by kind.
  returned: success, and on a failure once the removals began
  type: list
  elements: dict
  sample: [{kind: container, id: 0b5d8f2a4c1e9b7d6a3f0e2c8b1d4a7f6e9c2b5d8a1f4e7c0b3d6a9f2e5c8b1d, names: [old-job],
            size: 0, reason: stopped}]
  contains:
    kind:
      description: V(container), V(image), V(volume), V(network) or V(build_cache).
      type: str
    id:
      description: The object's id (a volume's name).
      type: str
    names:
      description: The container's name, the image's tags, the volume's or network's name, the cache record's description.
      type: list
      elements: str
    size:
      description: Bytes its removal frees as the engine counts them (0 for networks).
      type: int
    reason:
      description: Why it goes, as its own prune module says it (V(stopped), V(older_than), V(dangling), V(unused), ...;
        on Podman V(parent_of_removed) for an image's hidden untagged build parents, see M(tidy.docker.image_prune)).
      type: str
kept:
  description:
    - Objects looked at and spared, each with O(ignore:kind), id, names and a reason (and C(named=true) when
      O(containers.remove) or O(images.remove) named it) (V(running), V(in_use),
      V(excluded_label), V(parent_of_kept), V(max_removals), V(gone), V(failed), V(not_attempted), ...; see the docs
      of each prune module).
  returned: when O(report_kept=true)
  type: list
  elements: dict
  sample: [{kind: image, id: "sha256:271faf8726941d2696abd2e4388f1fe86bef1fff680d5b01531d6be023468998",
            names: [shop/web:4], reason: in_use}]
kept_counts:
  description: How many objects were kept, per reason (all kinds together).
  returned: success, and on a failure once the removals began
  type: dict
  sample: {in_use: 2, running: 3, excluded_label: 1}
removed_count:
  description: Number of entries in RV(removed).
  returned: success, and on a failure once the removals began
  type: int
  sample: 12
by_kind:
  description:
    - Per pruned kind (V(container), V(image), V(volume), V(network), V(build_cache)), its share of the run -
      C(removed_count), C(kept_counts), and C(space_reclaimable) in check mode (the estimate) or C(space_reclaimed)
      in a real run (measured for that kind).
  returned: success, and on a failure once the removals began
  type: dict
  sample: {container: {removed_count: 3, kept_counts: {running: 2}, space_reclaimed: 0},
           image: {removed_count: 4, kept_counts: {in_use: 2}, space_reclaimed: 734003200}}
engine:
  description: The engine's C(product) (V(docker) or V(podman)), C(version) and C(api_version), as
    M(tidy.docker.host_info) names them.
  returned: success, and on a failure once the removals began
  type: dict
  sample: {product: docker, version: 20.10.24, api_version: "1.41"}
disk_usage:
  description:
    - The engine's disk usage as M(tidy.docker.host_info) returns it (C(images), C(containers), C(volumes),
      C(build_cache), each with C(count), C(size), C(reclaimable)), read by the run itself - C(before) the plan,
      and C(after) a real run (the same as C(before) when nothing was removed; absent in check mode).
  returned: success, and on a failure once the removals began
  type: dict
  sample: {before: {images: {count: 12, size: 734003200, reclaimable: 120000000}}}
space_reclaimable:
  description: Check mode only. Estimated bytes the plan frees (the sum of the planned sizes).
  returned: when in check mode
  type: int
  sample: 734003200
space_reclaimable_human:
  description: RV(space_reclaimable) for humans.
  returned: when in check mode
  type: str
  sample: 734 MB
space_reclaimed:
  description:
    - Bytes freed, measured from the engine's disk usage before and after, per pruned kind (containers' writable
      layers, image layers, volumes, build cache). Not in check mode.
  returned: when not in check mode
  type: int
  sample: 734003200
space_reclaimed_human:
  description: RV(space_reclaimed) for humans.
  returned: when not in check mode
  type: str
  sample: 734 MB
"""

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule
from ansible_collections.tidy.docker.plugins.module_utils._local_disk import local_filesystem
from ansible_collections.tidy.docker.plugins.module_utils._prune.host import UsageStateFile, run_host_prune
from ansible_collections.tidy.docker.plugins.module_utils._prune.host_options import (
    PRUNE_SPEC,
    host_policy_from_params,
    within_kind,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.options import RUN_SPEC, watermark_from_params
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import Watermark
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import kinds_diff, kinds_result
from ansible_collections.tidy.docker.plugins.module_utils._prune.usage_state import (
    DEFAULT_USAGE_STATE_PATH,
    usage_state_key,
)
from ansible_collections.tidy.docker.plugins.module_utils._records import summarise_disk_usage
from ansible_collections.tidy.docker.plugins.module_utils._units import now_utc


def prune_host(module: TidyDockerModule) -> dict[str, t.Any]:
    params = module.params
    policy = host_policy_from_params(params)  # bad input fails before any engine call
    client = module.client
    usage_state, filesystem = None, None
    if policy.images is not None:
        info = client.call(client.api.info)
        usage_state = UsageStateFile(params["usage_state_path"],
                                     usage_state_key(info, client.settings.docker_host, client.engine))
        if params["images"].get("max_image_usage") is not None:
            filesystem = local_filesystem(str(info.get("DockerRootDir") or ""), client.settings.docker_host)

    def watermark(layers_size: int) -> Watermark | None:
        return within_kind("images", lambda: watermark_from_params(params["images"], layers_size, filesystem))

    run = run_host_prune(client, policy, watermark, usage_state, module.check_mode, params["parallel"],
                         bool((params["images"] or {}).get("force")), now_utc())
    for text in run.warnings:
        module.warn(text)
    result = kinds_result(run.outcomes, module.check_mode, params["report_kept"], run.reclaimed, run.reclaimed_by_kind)
    # What host_info would say before and after, from the reads the run made anyway: a playbook's
    # report needs no extra task (and no extra engine read) for them.
    result["engine"] = {"product": client.engine, "version": client.engine_version.get("Version"),
                        "api_version": client.engine_version.get("ApiVersion")}
    result["disk_usage"] = {"before": summarise_disk_usage(run.df_before)}
    if run.df_after is not None:
        result["disk_usage"]["after"] = summarise_disk_usage(run.df_after)
    if module._diff:
        result["diff"] = kinds_diff(run.outcomes, "objects")
    if run.interrupted is not None:
        raise run.interrupted.failure(result)
    return result


def main() -> None:
    module = TidyDockerModule(argument_spec=dict(
        PRUNE_SPEC,
        **RUN_SPEC,
        usage_state_path={"type": "path", "default": DEFAULT_USAGE_STATE_PATH},
    ))
    module.run(prune_host)


if __name__ == "__main__":
    main()
