#!/usr/bin/python
# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_info
short_description: What C(docker images) shows, with usage by containers and unique sizes
version_added: 0.1.0
description:
  - Lists images like C(docker images) and adds, for each, the containers that use it (running or
    stopped), whether it is in use, whether it is dangling, and how much of its size is unique to it.
  - This is the inventory the pruning policies read. An image is in use as soon as any container exists that
    was created from it, whatever its state; the engine refuses to remove such an image without force, and
    removing it would break C(docker start) of that container.
  - Read-only, it never changes anything on the host.
options:
  name:
    description:
      - Image references (V(repo:tag), V(repo@digest)) or ids (full or short) to list.
      - An empty list lists all images. Names that match no image are left out of RV(images) and
        listed in RV(missing).
    type: list
    elements: str
    default: []
    aliases: [names]
  filters:
    description:
      - Engine filters, as C(docker images --filter) takes them, for example
        C(dangling=true), C(label=tier=web), C(reference=shop/*), C(before=shop/web:2), C(since=shop/web:1),
        written as a dictionary (see the examples).
      - Applied by the engine; combined with O(name). An unknown filter is refused by the engine and reported in
        one sentence.
    type: dict
    default: {}
  with_usage:
    description:
      - Gather usage data (C(shared_size), C(unique_size), C(containers), C(in_use)) from C(docker system df) and C(docker ps -a).
      - When V(false) those keys are V(null), which is faster on hosts with very many containers.
    type: bool
    default: true
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
  - tidy.docker._attributes.info_module
seealso:
  - module: tidy.docker.host_info
  - module: tidy.docker.container_info
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
# Ad hoc, from the command line:
#   ansible web-01 -m tidy.docker.image_info -a 'name=shop/web:4'
#   ansible web-01 -m tidy.docker.image_info -a '{"filters": {"dangling": true}}'

- name: List all images with their usage
  tidy.docker.image_info:
  register: images

- name: Show images no container uses, biggest unique size first
  ansible.builtin.debug:
    msg: "{{ images.images | rejectattr('in_use') | sort(attribute='unique_size', reverse=true)
             | map(attribute='repo_tags') | list }}"

- name: Does one image exist?
  tidy.docker.image_info:
    name: shop/web:4
  register: web

- name: Fail when it is missing
  ansible.builtin.assert:
    that: web.exists

- name: Dangling images only, without usage data
  tidy.docker.image_info:
    filters:
      dangling: true
    with_usage: false
"""

RETURN = r"""
images:
  description: The images, newest first.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Full image id.
      type: str
      sample: sha256:271faf8726941d2696abd2e4388f1fe86bef1fff680d5b01531d6be023468998
    short_id:
      description: First 12 hex digits of the id, as C(docker images) prints it.
      type: str
      sample: 271faf872694
    repo_tags:
      description: Tags pointing at the image; empty for a dangling image (C(<none>:<none>) is never returned).
      type: list
      elements: str
      sample: [tidy-test/app:1, tidy-test/app:stable]
    repo_digests:
      description: Registry digests; empty for an image that was built or loaded locally and never pushed or pulled,
        which therefore cannot be pulled again.
      type: list
      elements: str
      sample: ["127.0.0.1:5000/shop/web@sha256:5b0b...e1"]
    created:
      description: Creation time, ISO 8601 UTC.
      type: str
      sample: "2026-11-27T22:03:20Z"
    size:
      description: Size in bytes including layers shared with other images, as C(docker images) shows it.
      type: int
      sample: 1985475
    size_human:
      description: RV(images[].size) for people.
      type: str
      sample: 1.99 MB
    shared_size:
      description: Bytes of layers this image shares with other images. V(null) when O(with_usage=false).
      type: int
      sample: 1985472
    unique_size:
      description: Bytes only this image holds, which removing it frees. V(null) when O(with_usage=false).
      type: int
      sample: 3
    dangling:
      description: Whether the image has no tag.
      type: bool
      sample: false
    labels:
      description: Image labels.
      type: dict
      sample: {tidy.docker.keep: "true"}
    parent_id:
      description: Id of the parent image for locally built images, else V(null).
      type: str
      sample: sha256:08e6998506ac36489e434ce1447a315122d58569ea35ddf2e4fdefbb61252216
    containers:
      description: Containers created from this image, in any state, as C({id, name, state}). V(null) when
        O(with_usage=false).
      type: list
      elements: dict
      sample: [{id: 813c249508bbcfc00dded2f065b63b59e2fe25066b19b528e30882ee9c5d7321, name: stopped1, state: exited}]
    in_use:
      description: Whether any container, running or stopped, uses the image. V(null) when O(with_usage=false).
      type: bool
      sample: true
count:
  description: Number of images listed.
  returned: success
  type: int
  sample: 4
total_size:
  description:
    - Sum of RV(images[].size); layers shared between listed images are counted once per image, so this can exceed
      the disk space used.
    - C(disk_usage.images.size) of M(tidy.docker.host_info) is the on-disk figure.
  returned: success
  type: int
  sample: 7941899
total_size_human:
  description: RV(total_size) for people.
  returned: success
  type: str
  sample: 7.94 MB
exists:
  description: Whether the one image asked for in O(name) exists. Only when O(name) has exactly one element.
  returned: when O(name) has one element
  type: bool
  sample: true
missing:
  description: Elements of O(name) that match no image.
  returned: when O(name) is not empty
  type: list
  elements: str
  sample: [shop/web:9]
"""

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule
from ansible_collections.tidy.docker.plugins.module_utils._info_reads import (
    IMAGE_FILTERS,
    check_filters,
    list_images,
    resolve_image_ids,
)
from ansible_collections.tidy.docker.plugins.module_utils._references import check_reference
from ansible_collections.tidy.docker.plugins.module_utils._units import format_size


def gather(module: TidyDockerModule) -> dict[str, t.Any]:
    names: list[str] = module.params["name"]
    for name in names:  # before any engine call: the engine's answer to a bad one is a raw 400
        check_reference(name, "name")
    check_filters(module.params["filters"], "filters", IMAGE_FILTERS)
    resolved = resolve_image_ids(module.client, names) if names else {}
    wanted = {image_id for image_id in resolved.values() if image_id} if names else None
    images = list_images(module.client, wanted, filters=module.params["filters"],
                         with_usage=module.params["with_usage"])
    total = sum(image["size"] for image in images)
    result: dict[str, t.Any] = {"changed": False, "images": images, "count": len(images),
                                "total_size": total, "total_size_human": format_size(total)}
    if names:
        result["missing"] = [name for name, image_id in resolved.items() if image_id is None]
        if len(names) == 1:
            result["exists"] = not result["missing"]
    return result


def main() -> None:
    module = TidyDockerModule(argument_spec={
        "name": {"type": "list", "elements": "str", "default": [], "aliases": ["names"]},
        "filters": {"type": "dict", "default": {}},
        "with_usage": {"type": "bool", "default": True},
    })
    module.run(gather)


if __name__ == "__main__":
    main()
