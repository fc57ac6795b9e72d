#!/usr/bin/python
# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image
short_description: Presence of one image (docker pull / docker rmi)
version_added: 0.1.0
description:
  - Makes sure one image is present (pulling it when missing, or when the registry has a newer one) or absent
    (untagging or deleting it), like C(docker pull) and C(docker rmi) as one idempotent task. A repeated run reports
    no change.
  - Removing by tag untags only that tag when the image has others (RV(actions) V([untagged])); removing the last
    tag deletes the image (V([untagged, deleted])), and so does removing by id (V([deleted]) for an untagged image).
    Removing a multi-tagged image by id needs O(force), as the engine requires; then all its tags go. A missing
    image is nothing to do, not a change.
  - An image used by a container, running or stopped, is not deleted unless O(force); the failure names the
    containers and their states.
options:
  name:
    description:
      - Image reference (V(repo:tag), V(repo@sha256:digest); no tag means V(latest)) or id (full or short).
      - An id cannot be pulled. An id the host does not have fails the task with O(state=present); use a
        V(repo:tag) reference there.
    type: str
    required: true
  state:
    description:
      - V(present) pulls the image if needed; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  pull:
    description:
      - With O(state=present), V(missing) pulls only when the image is not on the host; V(always) asks the registry and
        pulls when it serves a different image than the local one.
    type: str
    choices: [missing, always]
    default: missing
  force:
    description:
      - With O(state=absent), remove even when containers use the image or when it has several tags and is named by id,
        like C(docker rmi -f).
      - With O(force), the engine deletes an image even when stopped containers use it (they keep their layers but
        cannot be recreated from it); it never deletes one a running container uses.
      - Removing one of several tags never needs O(force); the image stays for its containers.
    type: bool
    default: false
  prune_parents:
    description:
      - With O(state=absent), also delete the image's untagged parent images (intermediate images of local builds)
        that nothing else needs, like C(docker rmi) without C(--no-prune). V(false) leaves them as dangling images.
      - On Podman, which always deletes them, V(false) fails before anything is removed (docs/podman.md).
    type: bool
    default: true
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
attributes:
  check_mode:
    description: Can run in check mode and return what a real run would change, without changing anything.
    support: full
    details:
      - To predict a pull, check mode asks the registry for the current digest (without pulling); a registry that does
        not know the reference, or cannot be reached, fails the task as the real pull would.
      - In check mode RV(deleted) lists the image itself, not the untagged parent layers the engine deletes with it.
      - The id of an image not pulled yet is unknown, so in check mode RV(image.id) (and C(after.id) of RV(diff)) is
        V(null) for a predicted first pull.
  diff_mode:
    description: Returns the image before and after (id and tags) in RV(diff).
    support: full
  idempotent:
    description: A second run with the same options reports no change.
    support: full
notes:
  - >-
    A reference the registry does not know, or a registry the engine cannot reach, fails in one sentence, in check
    mode too (the same sentence M(tidy.docker.container) gives for its image), for example
    V(name: 'registry.local:5000/shop/web:404' could not be pulled (manifest unknown: manifest unknown\); check the
    name and tag, that the engine can reach the registry, and docker login on the engine host for private images.)
  - >-
    Deleting an image that containers use, without O(force), fails with a sentence such as
    V(Image shop/web:1 (sha256:81f1e06d6660\) is used by shop-web-1-done (exited\); remove those containers
    first, or set force: true.)
  - >-
    Removing a multi-tagged image by id without O(force) fails with a sentence such as
    V(Image sha256:… has several tags (shop/web:2, shop/web:3\); removing it by id removes them all: set
    force: true, or remove it by tag.)
seealso:
  - module: tidy.docker.image_info
  - module: tidy.docker.image_prune
    description: To remove many images by policy rather than by name.
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
# Ad hoc, from the command line:
#   ansible web -m tidy.docker.image -a 'name=registry.local:5000/shop/web:4'
#   ansible web -m tidy.docker.image -a 'name=registry.local:5000/shop/web:stable pull=always' --check --diff
#   ansible web -m tidy.docker.image -a 'name=shop/web:old state=absent'

- name: Make sure an image is on the host
  tidy.docker.image:
    name: registry.example.com/shop/web:4

- name: Pull when the registry has a newer build of the tag
  tidy.docker.image:
    name: registry.example.com/shop/web:stable
    pull: always

- name: Remove one tag (the image stays if it has other tags)
  tidy.docker.image:
    name: shop/web:old
    state: absent

- name: Remove an image with all its tags, by id
  tidy.docker.image:
    name: sha256:271faf8726941d2696abd2e4388f1fe86bef1fff680d5b01531d6be023468998
    state: absent
    force: true
"""

RETURN = r"""
image:
  description:
    - With O(state=present), the image after the task; with O(state=absent), the image as it was before removal
      (empty when there was none).
  returned: success
  type: dict
  sample:
    id: "sha256:74a9a3d1b451a7793ec290eddf44a7c8db97e45f24b7a6462f773c52c8d847ab"
    repo_tags: ["127.0.0.1:5077/demo/bb:1"]
    repo_digests: ["127.0.0.1:5077/demo/bb@sha256:64832c61aa5db325d5830efc3aa3b90585e5a98fbbe91c243187fe25830315d4"]
    created: "2026-11-27T22:03:19.746819Z"
    size: 1985472
  contains:
    id:
      description: Image id.
      type: str
    repo_tags:
      description: Tags.
      type: list
      elements: str
    repo_digests:
      description: Registry digests.
      type: list
      elements: str
    created:
      description: Creation time, ISO 8601 UTC.
      type: str
    size:
      description: Size in bytes.
      type: int
actions:
  description:
    - What was (or, in check mode, would be) done, in order; any of V(pulled), V(untagged), V(deleted).
    - C(changed) is true exactly when it is not empty.
  returned: success
  type: list
  elements: str
  sample: [untagged, deleted]
untagged:
  description: References the engine untagged, as it reports them (a pulled image's digest reference is untagged
    with its tag).
  returned: success
  type: list
  elements: str
  sample:
    - 127.0.0.1:5077/demo/bb:1
    - 127.0.0.1:5077/demo/bb@sha256:64832c61aa5db325d5830efc3aa3b90585e5a98fbbe91c243187fe25830315d4
deleted:
  description: Image and layer ids the engine deleted, as it reports them.
  returned: success
  type: list
  elements: str
  sample: ["sha256:74a9a3d1b451a7793ec290eddf44a7c8db97e45f24b7a6462f773c52c8d847ab"]
diff:
  description: The image before and after the task, each as C({exists, id, repo_tags}).
  returned: in diff mode
  type: dict
  sample:
    before: {exists: true, id: "sha256:271faf8726941d2696abd2e4388f1fe86bef1fff680d5b01531d6be023468998",
             repo_tags: [shop/web:old]}
    after: {exists: false, id: null, repo_tags: []}
"""

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.image_operations import check_reference
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.image_presence import ensure_absent, ensure_present


def converge(module: TidyDockerModule) -> dict[str, t.Any]:
    params = module.params
    reference = check_reference(params["name"])
    if params["state"] == "present":
        change = ensure_present(module.client, reference, params["pull"], module.check_mode)
        image = change.after
    else:
        change = ensure_absent(module.client, reference, params["force"], params["prune_parents"], module.check_mode)
        image = change.before
    result: dict[str, t.Any] = {"changed": change.changed, "image": image, "actions": change.actions,
                                "untagged": change.untagged, "deleted": change.deleted}
    if module._diff:
        result["diff"] = {"before": _diff_view(change.before), "after": _diff_view(change.after)}
    return result


def _diff_view(image: dict[str, t.Any]) -> dict[str, t.Any]:
    return {"exists": bool(image), "id": image.get("id"), "repo_tags": image.get("repo_tags", [])}


def main() -> None:
    module = TidyDockerModule(argument_spec={
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "pull": {"type": "str", "choices": ["missing", "always"], "default": "missing"},
        "force": {"type": "bool", "default": False},
        "prune_parents": {"type": "bool", "default": True},
    })
    module.run(converge)


if __name__ == "__main__":
    main()
