#!/usr/bin/python
# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_prune
short_description: Remove images by policy, with a plan and a reason for each
version_added: 0.1.0
description:
  - Plans first, then removes exactly the planned images; check mode returns the same plan without touching
    anything.
  - Every image looked at is returned in RV(removed) or RV(kept) with a reason.
  - Never removes an image that a container uses, running or stopped.
  - In O(scope=unused), a tagged image without a registry digest (built or loaded locally, so it cannot be pulled
    again) is spared with reason V(unpullable) unless O(keep_unpullable=false). Dangling images are always eligible.
  - Each planned image is re-checked just before removal. One that a container started using, that was re-tagged
    or removed meanwhile is spared and reported (V(in_use), V(not_dangling), V(conflict), V(gone)); such races never
    fail the task.
  - When the engine fails once the removals began (no answer within O(timeout), the connection lost, another engine
    error), no further removal starts and the task fails with C(changed=true) and its usual returns; what went is in
    RV(removed), the rest in RV(kept) as V(failed) (asked, not confirmed) or V(not_attempted); a rerun finishes.
options:
  scope:
    description:
      - V(dangling) considers untagged images only; V(unused) considers every image no container uses.
    type: str
    choices: [dangling, unused]
    default: dangling
  older_than:
    description:
      - Only images created longer ago than this. A duration such as V(12h), V(7d), V(2w), V(1d12h), or whole seconds.
    type: str
  keep_last:
    description:
      - Per repository, keep the N newest tagged images by creation time (images in use count among them).
      - Creation time decides, not the tag name. With V(1), a V(shop/web:dev) built after V(shop/web:4) is the one
        V(shop/web) image kept (V(within_keep_last)), while V(shop/web:4) stays only if a container uses it (V(in_use)).
    type: int
  exclude:
    description:
      - Image references (glob patterns such as V(postgres:*), V(*/base:*), V(registry.local/*)) or ids (full or
        12-character) never to remove; reason V(excluded_name).
    type: list
    elements: str
    default: []
  labels:
    description:
      - Only images carrying all these labels, each V(key) or V(key=value); others are kept with reason V(not_selected).
    type: list
    elements: str
    default: []
  exclude_labels:
    description:
      - Images carrying any of these labels (V(key) or V(key=value)) are never removed; reason V(excluded_label).
    type: list
    elements: str
    default: []
  keep_unpullable:
    description:
      - In O(scope=unused), spare tagged images that have no registry digest (reason V(unpullable)).
    type: bool
    default: true
  max_image_usage:
    description:
      - Watermark mode. When the images use more than this, remove eligible images least recently used first until
        usage is at or below O(target_image_usage); when usage is at or below it, remove nothing (reason
        V(below_watermark)).
      - A size (V(20GB), V(1.5TiB)) compares with the images' own disk usage; a percentage (V(85%)) with the used
        share of the filesystem holding the engine's data root, which needs the module to run on the engine's host.
      - Last use is read from O(usage_state_path), else the image's last tag time, else its creation time.
    type: str
  target_image_usage:
    description:
      - Low mark of watermark mode, same form as O(max_image_usage); defaults to O(max_image_usage).
    type: str
  usage_state_path:
    description:
      - JSON file on the managed node where each run records, for every image in use, when it was last seen in use,
        per engine. Least-recently-used order reads it. A missing or corrupt file is rewritten, never fatal.
      - Updating it is not reported as a change, and check mode does not write it.
      - Run the module regularly (from cron or a scheduled play) so that the file learns which images are really used;
        see L(the usage-state file, docs/policies.md#the-usage-state-file).
    type: path
    default: ~/.cache/tidy.docker/image-usage.json
  removed_containers:
    description:
      - Ids of containers an earlier step of the same run removes (for example RV(tidy.docker.container_prune#module:removed)
        ids). Images only they use count as unused, so that a check-mode run of several steps plans exactly what the
        real run removes. Containers that are really gone need not be listed.
    type: list
    elements: str
    default: []
  force:
    description:
      - Remove each image with one forced delete by id, like C(docker rmi -f), instead of removing its tags one by one.
        Fewer engine calls for multi-tagged images. Images in use are never planned, forced or not.
    type: bool
    default: false
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
  - tidy.docker._attributes.actions
  - tidy.docker._prune_options
  - tidy.docker._prune_options.run
  - tidy.docker._prune_options.protect
notes:
  - >-
    Bad option values fail before anything is read or removed, in one sentence naming the value, for example
    V(older_than: '7x' is not a duration; use a whole number of seconds or units s, m, h, d, w such as 30s, 15m, 12h,
    7d, 2w or 1d12h.), V(keep_last: -1 is negative; give how many newest images per repository to keep.),
    V(target_image_usage '2GB' is above max_image_usage '1GB'; the target must be at or below the high mark.),
    V(max_image_usage '85%' and target_image_usage '1GB' mix a size and a percentage; give both as sizes (20GB\) or
    both as percentages (85%\).) or V(max_image_usage '85%' is a share of the engine's filesystem, which is only
    known when the module runs on the engine's host; give a size such as 20GB instead.)
seealso:
  - name: How the prune modules decide
    link: docs/policies.md
    description: The rules in their order, every reason, O(keep_last), unpullable images, watermark mode and least
      recently used, check mode as the plan, races between plan and removal.
  - module: tidy.docker.container_prune
  - module: tidy.docker.image_info
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
# Ad hoc, from the command line:
#   ansible web -m tidy.docker.image_prune -a 'scope=unused older_than=7d keep_last=2' --check
#   ansible web -m tidy.docker.image_prune -a 'scope=unused older_than=7d keep_last=2'
#   ansible web -m tidy.docker.image_prune -a 'scope=unused max_image_usage=85% target_image_usage=70%' --check --diff
# The samples under Return values are from a real run on a host with a few builds of shop/web and shop/worker,
# after tidy.docker.container_prune removed the stopped containers that used the old ones:
#   ansible web-01 -m tidy.docker.image_prune -a 'scope=unused keep_last=1 keep_unpullable=false exclude=tidy-test/*'

- name: Dangling images a week old or more, like docker image prune --filter until=168h but with a plan
  tidy.docker.image_prune:
    older_than: 7d

- name: Keep the two newest tags of each repository, never postgres, dry run first
  tidy.docker.image_prune:
    scope: unused
    keep_last: 2
    exclude: ['postgres:*']
  check_mode: true
  register: plan

- name: Show what would go, and why the rest stays
  ansible.builtin.debug:
    msg: "{{ plan.removed | map(attribute='tags') | list }} / {{ plan.kept_counts }}"

- name: The two newest builds of every repository, never the databases or anything protected, at most 100 a run
  tidy.docker.image_prune:
    scope: unused
    keep_last: 2
    keep_unpullable: false
    exclude: ['postgres:*', '*/mariadb:*']
    max_removals: 100

- name: Under disk pressure, nothing below 85% of the filesystem; above, least recently used first down to 70%
  tidy.docker.image_prune:
    scope: unused
    keep_unpullable: false
    max_image_usage: 85%
    target_image_usage: 70%
"""

RETURN = r"""
removed:
  description: Images removed (or, in check mode, that would be), in removal order.
  returned: success, and on a failure once the removals began
  type: list
  elements: dict
  sample:
    - {id: "sha256:81f1e06d6660416cc16d38c7c2e423d95be9fa86349719045a08807f9cc4ea18", tags: [shop/web:1], size: 262154,
       reason: beyond_keep_last}
    - {id: "sha256:78306cec8a0c…", tags: [shop/web:2], size: 524298, reason: beyond_keep_last}
    - {id: "sha256:edee704da4b1…", tags: [shop/worker:1], size: 524301, reason: beyond_keep_last}
  contains:
    id:
      description: Image id.
      type: str
    tags:
      description: The image's tags when planned; empty for a dangling image.
      type: list
      elements: str
    size:
      description: Bytes only this image holds (its unique size).
      type: int
    reason:
      description:
        - One of V(dangling), V(unused), V(older_than), V(beyond_keep_last), V(over_watermark).
        - On Podman also V(parent_of_removed), a hidden untagged build parent of removed images that nothing else needs,
          removed after them (Docker deletes such parents with their child unasked; Podman does not always, see
          L(Podman, docs/podman.md)). The cap O(max_removals) does not count these.
      type: str
kept:
  description:
    - Images looked at and spared, with the reason, one of V(in_use), V(excluded_name), V(excluded_label),
      V(not_selected), V(not_dangling), V(unpullable), V(within_keep_last), V(too_young), V(parent_of_kept) (an image
      built on it stays, and the engine refuses to delete a parent before its children), V(below_watermark),
      V(max_removals), V(conflict) (the engine refused, or the image changed since planning), V(gone) (removed by
      someone else meanwhile), V(failed) and V(not_attempted) (the engine failed in the middle of the run, see above).
    - Sorted by reason.
  returned: when O(report_kept=true)
  type: list
  elements: dict
  sample:
    - {id: "sha256:f2e2105885ac…", tags: [tidy-test/app:1, tidy-test/app:stable], reason: excluded_name}
    - {id: "sha256:06d4105c7657…", tags: [shop/cron:1], reason: in_use}
    - {id: "sha256:d70a613f09e7…", tags: [shop/web:4, shop/web:latest], reason: in_use}
    - {id: "sha256:b3479852dc6a…", tags: [shop/web:dev], reason: within_keep_last}
    - {id: "sha256:80812adf4061…", tags: [shop/worker:2], reason: within_keep_last}
kept_counts:
  description: How many images were kept, per reason. Returned also when O(report_kept=false).
  returned: success, and on a failure once the removals began
  type: dict
  sample: {excluded_name: 4, in_use: 4, within_keep_last: 2}
removed_count:
  description: Number of entries in RV(removed).
  returned: success, and on a failure once the removals began
  type: int
  sample: 3
space_reclaimed:
  description: Bytes freed, measured from the engine's image disk usage (C(docker system df)) before and after.
  returned: when not in check mode
  type: int
  sample: 1310753
space_reclaimed_human:
  description: RV(space_reclaimed) for people.
  returned: when not in check mode
  type: str
  sample: 1.31 MB
space_reclaimable:
  description:
    - Estimate of the bytes a real run would free, the sum of the planned images' unique sizes.
    - Layers that only the planned images share are not in any unique size, so the real figure can be higher.
  returned: in check mode
  type: int
  sample: 6
space_reclaimable_human:
  description: RV(space_reclaimable) for people.
  returned: in check mode
  type: str
  sample: 6 B
"""

import dataclasses
import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule
from ansible_collections.tidy.docker.plugins.module_utils._local_disk import local_filesystem
from ansible_collections.tidy.docker.plugins.module_utils._prune.apply import apply_plan, image_remover, measured
from ansible_collections.tidy.docker.plugins.module_utils._prune.options import (
    IMAGE_POLICY_SPEC,
    PROTECT_SPEC,
    RUN_SPEC,
    image_policy_from_params,
    watermark_from_params,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.policy import plan_image_removals
from ansible_collections.tidy.docker.plugins.module_utils._prune.read import (
    containers_from_engine,
    disk_usage_of,
    image_graph_for,
    images_from_engine,
    users_per_image,
)
from ansible_collections.tidy.docker.plugins.module_utils._prune.report import Outcome, prune_diff, prune_result
from ansible_collections.tidy.docker.plugins.module_utils._prune.usage_state import (
    DEFAULT_USAGE_STATE_PATH,
    refresh_usage_state,
    usage_state_key,
)
from ansible_collections.tidy.docker.plugins.module_utils._units import now_utc


def prune_images(module: TidyDockerModule) -> dict[str, t.Any]:
    params = module.params
    policy = image_policy_from_params(params, watermark=None)  # bad input fails before any engine call
    client = module.client
    now = now_utc()
    containers = containers_from_engine(client, details=False)
    inventory = images_from_engine(client, precise=policy.needs_precise_times or params["max_image_usage"] is not None)
    parents, hidden = image_graph_for(client, policy.needs_graph)
    info = client.call(client.api.info)
    filesystem = local_filesystem(str(info.get("DockerRootDir") or ""), client.settings.docker_host)
    policy = dataclasses.replace(policy, watermark=watermark_from_params(params, inventory.layers_size, filesystem))

    engine_id = usage_state_key(info, client.settings.docker_host, client.engine)
    state, warnings = refresh_usage_state(params["usage_state_path"], engine_id, (c.image_id for c in containers),
                                          (i.id for i in inventory.images), now, module.check_mode)

    plan = plan_image_removals(inventory.images, containers, policy, now, state,
                               removed_containers=params["removed_containers"], parents=parents, hidden=hidden)
    if module.check_mode or not plan.removals:
        outcome, reclaimed, interrupted = Outcome(removed=list(plan.removals), kept=list(plan.kept)), 0, None
    else:
        remover = image_remover(client, users_per_image(client), params["force"])
        outcome, reclaimed, interrupted = measured(lambda: apply_plan(plan, remover, params["parallel"]),
                                                   lambda: max(inventory.layers_size - disk_usage_of(client, "images"), 0),
                                                   len(plan.removals))
    for text in warnings:
        module.warn(text)
    result = prune_result(outcome, "tags", module.check_mode, params["report_kept"], reclaimed)
    if module._diff:
        result["diff"] = prune_diff(outcome, "images")
    if interrupted is not None:
        raise interrupted.failure(result)
    return result


def main() -> None:
    module = TidyDockerModule(argument_spec=dict(
        IMAGE_POLICY_SPEC,
        **RUN_SPEC,
        **PROTECT_SPEC,
        usage_state_path={"type": "path", "default": DEFAULT_USAGE_STATE_PATH},
        removed_containers={"type": "list", "elements": "str", "default": []},
    ))
    module.run(prune_images)


if __name__ == "__main__":
    main()
