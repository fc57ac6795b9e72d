#!/usr/bin/python
# Copyright: tidy.docker contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container
short_description: Lifecycle of one container (docker run, start, stop, restart, rm)
version_added: 0.1.0
description:
  - Creates, starts, stops, restarts and removes one container, like C(docker run), C(docker start),
    C(docker stop), C(docker restart) and C(docker rm) do, as one idempotent task.
  - An existing container whose settings differ from the task's is removed and created again (recreated);
    the result says which settings drifted in RV(drifted), and diff mode shows them before and after.
    Only settings the task sets are compared, and values the image supplies itself (its environment,
    labels and volumes) do not count as drift.
  - Recreating stops the old container if it runs (honouring O(stop_timeout) and O(force_kill)), removes it, and
    creates it again with exactly the task's settings; anything set on the old container by other means (memory
    limits, extra mounts) is not carried over. O(recreate=true) forces a recreation even without drift.
  - >-
    Spelling is not drift. The order of O(env) keys, V(sleep 300) and V([sleep, "300"]) for O(command) (a string
    is split like a shell does), V(8080:80) and V(8080:80/tcp), V(/srv:/srv) and V(/srv/:/srv:rw), O(network_mode)
    V(bridge) and V(default), O(restart_policy) V("no") and the engine's empty policy all compare equal. Removing a
    variable the task used to set is drift (the container still has it).
  - The image is compared by id. A tag that now points at another image (a new pull, a re-tag) is drift of
    O(image); another tag of the same image is not.
  - With O(detach=false) the container runs to completion, like C(docker run IMAGE cal), and the task returns
    its RV(exit_code) and RV(output).
  - RV(actions) lists what was done (or, in check mode, would be done), in order.
options:
  name:
    description:
      - Name of the container.
    type: str
    required: true
  state:
    description:
      - V(started) creates the container if it is missing (like C(docker run -d)) and starts it if it is
        not running (unpausing a paused one).
      - V(present) creates it if missing, without starting it. A recreated container that was running is
        started again.
      - V(stopped) stops it if it runs (C(docker stop), or C(docker kill) with O(force_kill=true)). A missing
        container is created (not started) when O(image) is set; without O(image) there is nothing to do.
      - V(restarted) always restarts it (C(docker restart)) and always reports a change, like a handler;
        a missing container is created and started.
      - V(absent) stops it if it runs, then removes it (C(docker rm)); see O(keep_volumes).
      - With every state but V(absent), a container whose settings drifted is recreated first; V(present) and
        V(stopped) leave it not started (V(present) starts it again if it was running).
    type: str
    choices: [present, started, stopped, restarted, absent]
    default: started
  image:
    description:
      - The image to run, as C(repository[:tag]) or C(repository@sha256:digest).
      - Needed to create a container. When it is not set, an existing container keeps its image and is not
        compared on it; a recreation reuses its image.
      - The container is recreated when the reference now resolves to a different image id than the one it
        runs (for example after a new pull, or a tag moved to another image).
    type: str
  pull:
    description:
      - V(missing) pulls O(image) only when the engine does not have it.
      - V(always) asks the registry on every run; a new image there is pulled and the container recreated.
        Nothing is reported when the registry serves the image the engine already has.
      - V(never) uses the engine's image only and fails when it is missing.
    type: str
    choices: [missing, always, never]
    default: missing
  command:
    description:
      - The command to run, replacing the image's C(CMD), as a string or a list.
      - A string is split into arguments like a POSIX shell does (so V(sh -c "echo hi; sleep 1") becomes
        three arguments); give a list to pass arguments exactly.
      - Not compared when not set.
    type: raw
  entrypoint:
    description:
      - Replaces the image's C(ENTRYPOINT), as a string (split like O(command)) or a list.
        An empty string or list clears the image's entrypoint.
      - Not compared when not set.
    type: raw
  env:
    description:
      - Environment variables, like C(docker run -e KEY=VALUE).
      - Values must be strings; quote values YAML would read as booleans or nulls (V("true"), V("")).
      - Variables set by the image are not drift unless the task sets them to another value. The order of
        keys never matters. Not compared when not set; V({}) means "no variables besides the image's".
      - Values often carry passwords, so the module never shows them unless O(show_env_values=true). The diff
        names each variable with V((hidden\)) as its value, or V((hidden, changed\)) after when the value changes;
        RV(drifted) and RV(container) hold no values, and a refused value is described by its type, not its text.
      - The values of variables whose names contain C(PASS), C(PWD), C(SECRET), C(TOKEN), C(KEY), C(CREDENTIAL),
        C(AUTH), C(PRIVATE) or C(CERT) (any case), four characters or longer, are also treated as C(no_log) values;
        Ansible masks them wherever they appear, the module arguments shown at C(-vvv) and the output of an attached
        run included. For a secret under another name, set the task keyword C(no_log) to V(true).
    type: dict
  labels:
    description:
      - Container labels, like C(docker run -l key=value). Compared like O(env) is; the image's own labels do not
        count, the order of keys does not matter, and they are not compared when not set.
    type: dict
  published_ports:
    description:
      - Ports to publish, like C(docker run -p). Forms V(8080:80), V(127.0.0.1:8080:80/udp), V(127.0.0.1::80)
        (random host port on that address), V(80) (random host port), V([::1]:8080:80) and ranges such as
        V(8000-8001:80-81). The protocol is V(tcp) unless V(/udp) or V(/sctp) follows.
      - Compared in normalised form, so V(8080:80) and V(8080:80/tcp) are the same. Not compared when not set;
        V([]) means "publish nothing".
      - Publishing needs a network that supports it; with O(network_mode=host) or V(none) the engine ignores it.
    type: list
    elements: str
    aliases: [ports]
  volumes:
    description:
      - Volumes to mount, like C(docker run -v). V(/host/path:/container/path[:ro]) is a bind mount,
        V(name:/container/path[:options]) a named volume (created if missing) and V(/container/path) an
        anonymous volume.
      - Mount options are C(ro), C(rw) (the default), C(z), C(Z), C(nocopy) and propagation modes such as C(rshared).
      - Compared as a set in normalised form; anonymous volumes the image declares do not count.
        Not compared when not set.
      - A single file is bind-mounted the same way, for example V(/srv/host/boot.sh:/boot.sh:ro). Make sure the
        file exists on the host first, because the engine creates a missing bind source as an empty directory.
    type: list
    elements: str
  restart_policy:
    description:
      - What the engine does when the container exits, like C(docker run --restart).
        Quote V("no") or it is read as a boolean (which is accepted too).
      - Not compared when not set (new containers get the engine's default, V(no)).
    type: str
    choices: ["no", always, on-failure, unless-stopped]
  restart_retries:
    description:
      - With O(restart_policy=on-failure), the most restarts to try (V(0) means no limit), like C(--restart on-failure:N).
    type: int
  network_mode:
    description:
      - Network of the container, like C(docker run --network). V(default) (the engine's bridge; V(bridge) is the
        same), V(host), V(none), V(container:NAME) or the name of a network from C(docker network ls).
      - A network that does not exist fails the task before anything changes, in check mode too.
      - Not compared when not set.
    type: str
  interactive:
    description:
      - Keep standard input open, like C(docker run -i). With O(tty=true), a shell started detached keeps
        running, like C(docker run -dit IMAGE sh).
      - Not compared when not set; new containers default to V(false).
    type: bool
  tty:
    description:
      - Allocate a pseudo terminal, like C(docker run -t). Not compared when not set; new containers default to V(false).
    type: bool
  init:
    description:
      - Run an init process as PID 1 that forwards signals and reaps zombies, like C(docker run --init), so that
        shell commands stop at once instead of after O(stop_timeout).
      - Not compared when not set; new containers default to V(false).
    type: bool
  privileged:
    description:
      - Give the container every capability and access to all host devices, like C(docker run --privileged).
      - The engine adds C(label=disable) to the security options of a privileged container by itself; that entry
        is not drift (see O(security_opts)).
      - Some hosts cannot run privileged containers at all (for example when the engine's own capability bounding
        set lacks C(CAP_SYS_RESOURCE), the start fails with C(unable to apply caps)); O(cap_add=[ALL]) with
        O(cap_drop), O(security_opts) and O(device_cgroup_rules) grants nearly as much and works there.
      - Not compared when not set; new containers default to V(false).
    type: bool
  cap_add:
    description:
      - Linux capabilities to add to the engine's default set, like C(docker run --cap-add).
      - Names in any case, with or without the C(CAP_) prefix (V(sys_admin), V(CAP_SYS_ADMIN)), or V(ALL) for every
        capability. Compared as a set in that normalised form, so spelling and order do not matter.
      - Not compared when not set; V([]) means "none added".
      - >-
        Every name of capabilities(7) is accepted. Docker 20.10 knows no capability newer than C(AUDIT_READ) and
        refuses such a name only when creating, after a recreation has removed the old container; so on an engine of
        API 1.41 the module refuses V(PERFMON), V(BPF) and V(CHECKPOINT_RESTORE) before anything changes, in check
        mode too. Newer engines judge them themselves, and a refusal is reported as V(cap_add: the engine at ...
        does not know capability 'CAP_PERFMON', so container 'h1' was not created; ...). Podman also answers API
        1.41 but grants them, so there they are not refused.
      - >-
        Podman reports a container's capabilities as their difference from a base of its own rather than as the
        lists it was created with; there the module compares the capability set the lists give, so V(ALL) and
        default capabilities compare as on Docker (docs/podman.md).
    type: list
    elements: str
    aliases: [capabilities]
  cap_drop:
    description:
      - Linux capabilities to remove from the default set (or from V(ALL) added by O(cap_add)), like
        C(docker run --cap-drop). Written and compared like O(cap_add); V(ALL) drops every capability, and then
        O(cap_add) lists the ones to keep.
      - Not compared when not set; V([]) means "none dropped".
    type: list
    elements: str
  security_opts:
    description:
      - Security options, like C(docker run --security-opt). V(seccomp=unconfined) or V(seccomp=PROFILE_JSON) (the
        profile's text, since the engine does not read files), V(apparmor=unconfined) or V(apparmor=PROFILE),
        V(label=disable) or another SELinux label option, V(no-new-privileges) (the same as
        V(no-new-privileges=true)).
      - Compared as a set in normalised form (V(apparmor:unconfined) is V(apparmor=unconfined)). The engine adds
        C(label=disable) by itself to privileged containers and to those sharing the host's PID or IPC namespace;
        that entry counts only when the task lists it.
      - Not compared when not set; V([]) means "none".
    type: list
    elements: str
  device_cgroup_rules:
    description:
      - Rules that let the container use host devices, like C(docker run --device-cgroup-rule), as
        C(TYPE MAJOR:MINOR ACCESS) with TYPE V(a) (all), V(b) (block) or V(c) (character), numbers or V(*), and
        ACCESS made of V(r), V(w) and V(m) (mknod). V(a *:* rwm) allows every device.
      - Compared as a set in normalised form (single spaces, access letters as V(rwm)). Not compared when not set.
    type: list
    elements: str
  cgroupns_mode:
    description:
      - The cgroup namespace, like C(docker run --cgroupns). V(host) shares the host's, which an engine or systemd
        running inside the container needs together with a bind mount of V(/sys/fs/cgroup); V(private) gives the
        container its own.
      - Not compared when not set; new containers get the engine's default (V(host) on cgroup v1 hosts, V(private)
        on cgroup v2). An engine that does not report the mode (API older than 1.41) is not compared on it.
    type: str
    choices: [host, private]
  tmpfs:
    description:
      - Memory-backed file systems to mount, like C(docker run --tmpfs), as V(/path) or V(/path:OPTIONS) with comma
        separated mount options such as V(size=64m), V(mode=1777), V(uid=1000), V(noexec), V(ro).
      - Compared as a set of mounts; the order of a mount's options does not matter, and V(rw) is the default.
        A path cannot take both a tmpfs and one of O(volumes). Not compared when not set.
    type: list
    elements: str
  log_driver:
    description:
      - The logging driver, like C(docker run --log-driver), for example V(json-file), V(local), V(journald), V(none).
      - Not compared when not set; new containers get the engine's default (usually V(json-file)).
      - >-
        On Podman, V(json-file) and V(k8s-file) are the same driver (Podman's own format), and a driver Podman lacks,
        such as V(local), fails before anything is changed (docs/podman.md).
    type: str
  log_options:
    description:
      - >-
        Options of the logging driver, like C(docker run --log-opt KEY=VALUE), for example
        V({max-size: 10m, max-file: "3"}) to rotate a V(json-file) log instead of letting it grow until the disk is
        full (see M(tidy.docker.log_truncate) for logs that already did).
      - Values are text to the engine; numbers and booleans are given as their text. For V(json-file) and V(local)
        the keys and values are checked before anything is changed (the engine would refuse them only when creating,
        after a drifted container was removed).
      - Only the options set here are compared (the engine copies its daemon-wide C(log-opts) into every container);
        a changed value, or a different O(log_driver), recreates the container. Not compared when not set.
      - Podman does not report a container's log options, so there they are not compared (docs/podman.md).
    type: dict
  detach:
    description:
      - V(true) (default) leaves the container running in the background, like C(docker run -d).
      - V(false) runs it to completion, like C(docker run IMAGE cal), and returns RV(exit_code) and RV(output);
        a non-zero exit fails the task unless O(fail_on_error=false). Only with O(state=started) or
        O(state=restarted).
      - With V(false), a container that already ran to completion with the same settings is not run again;
        the task reports its last exit code and output and no change. Use O(state=restarted) or O(recreate=true)
        to run it again; the output is that of the last run only.
    type: bool
    default: true
  wait_timeout:
    description:
      - With O(detach=false), the longest the run may take, in seconds or as a duration such as V(5m).
        A run still going then is killed and the task fails.
      - Not set means wait as long as it takes.
    type: raw
  output_logs:
    description:
      - With O(detach=false), return the run's output (stdout and stderr, as C(docker logs) shows them) in
        RV(output) and RV(output_lines), and quote its last lines in the failure message of a non-zero exit.
      - Set to V(false) for output that is large or secret.
    type: bool
    default: true
  fail_on_error:
    description:
      - With O(detach=false), fail the task when the container exits with a non-zero code. The failure message
        gives the code and the last lines of output.
      - V(false) accepts any exit code and returns it in RV(exit_code). Errors of the engine or of options fail regardless.
      - A failed attached run still returns RV(actions), RV(exit_code), RV(output) and RV(container), so a play can
        inspect what happened.
    type: bool
    default: true
  recreate:
    description:
      - Remove and create the container again even when no setting drifted. Reports a change every time.
    type: bool
    default: false
  stop_timeout:
    description:
      - Seconds (or a duration such as V(1m)) to wait after the stop signal before the engine kills the
        container, when stopping, restarting, recreating or removing it.
      - Not set means the container's own stop timeout, else the engine's 10 seconds.
    type: raw
  force_kill:
    description:
      - Kill the container (C(docker kill)) instead of stopping it gracefully, wherever it has to stop.
    type: bool
    default: false
  keep_volumes:
    description:
      - Keep the container's anonymous volumes when it is removed or recreated. V(false) removes them too, like
        C(docker rm -v). Named volumes and bind mounts are never removed.
    type: bool
    default: true
  show_env_values:
    description:
      - Show the values of O(env) in the diff instead of V((hidden\)). Values of variables named like secrets stay
        masked (see O(env)).
    type: bool
    default: false
extends_documentation_fragment:
  - tidy.docker._connection
  - tidy.docker._attributes.actiongroup_docker
  - tidy.docker._attributes.actions
attributes:
  check_mode:
    details:
      - Check mode runs the same decision as a real run and predicts its RV(actions) exactly. With O(pull=missing)
        and an absent image, or O(pull=always), the registry is asked for the image's digest (nothing is pulled);
        the prediction says V(pulled), and whether the pulled image is the one an existing container already runs.
      - An attached run (O(detach=false)) that would run reports no RV(exit_code) or RV(output) in check mode.
  diff_mode:
    details:
      - The diff shows the state (an engine status or V(absent)) and every compared setting the task sets, before and
        after, in normalised form (ports as C([IP:]HOST:PORT/PROTO), volumes as C(-v) strings, O(env) and O(labels)
        as dicts narrowed to what the task answers for; O(env) values hidden unless O(show_env_values=true)).
        In check mode, the C(image_id) in RV(diff.after) of an image not pulled yet is V(null).
  idempotent:
    details:
      - O(state=restarted) and O(recreate=true) report a change on every run, by design.
    support: partial
notes:
  - >-
    Docker 20.10 accepts a bad O(tmpfs) option, a malformed device rule or a seccomp file path when creating a
    container and refuses them only when starting it, after a recreation has already removed the old container. The
    module checks each value first and fails with one sentence. The engine does not read seccomp files, so pass the
    profile's text (V(seccomp={{ lookup('file', 'profile.json'\) }})).
  - Every failure is one sentence naming the option, the value and the fix, and nothing is changed when an option
    is wrong. The notes below give the start of each sentence.
  - >-
    Images. Missing with O(pull=never), V(image: 'x:1' is not on the engine at ... and pull is never; pull it first
    (docker pull x:1\) or set pull: missing.); not in the registry, or the registry unreachable,
    V(image: 'x:1' could not be pulled (...\); check the name and tag, ...); an invalid reference,
    V(image: 'Tidy/Upper:Case' is not a valid image reference; ...); a missing container and no O(image),
    V(image: container 'web' does not exist, so an image is needed to create it; set image ...).
  - >-
    The engine's refusals. A network that does not exist (checked before anything changes, in check mode too),
    V(network_mode: 'shop' is not a network of the engine at ...; create it first ...); a host port that is taken
    (engines with a bridge network), V(published_ports: host address 0.0.0.0:8080 is already taken by another
    container or process, so container 'web' was created but not started; ...); a program the image does not have
    (found only when starting, so check mode cannot predict it), V(command: the image has no program 'nosuchcmd'
    (executable file not found in $PATH\), so container 'web' was created but not started; ...).
  - >-
    Bad values. V(published_ports: 'localhost:8080:80' has 'localhost' where a host IP address belongs; ...) and the
    like for ports, volumes, environment values and command quoting; V(cap_add: 'SYS_ADMN' is not a Linux
    capability; use a name such as SYS_ADMIN ...), V(security_opts: 'seccomp=/etc/docker/seccomp.json' names a file,
    which the engine does not read; ...), V(tmpfs: '/tmp:size=lots' has 'size=lots', an invalid size; ...); a
    capability newer than an API 1.41 engine, V(cap_add: 'CAP_PERFMON' is not known to the engine at ... (API 1.41,
    Docker 20.10, knows none newer than AUDIT_READ\); drop it from cap_add, or use a newer engine.)
  - >-
    Attached runs. A non-zero exit, V(Container 'job' exited with code 3; fix its command or image, or set
    fail_on_error: false ... Last output: ...); a run longer than O(wait_timeout), V(wait_timeout: container 'job'
    was still running after 30 seconds, so it was killed; ...).
seealso:
  - module: tidy.docker.container_info
    description: Read the container's logs and the C(docker ps -a) view.
author:
  - Tidy Docker maintainers (@tidy-docker)
"""

EXAMPLES = r"""
# Ad hoc, from the command line:
#   ansible web-01 -m tidy.docker.container -a 'name=demo image=busybox:1.36 command=cal detach=false'
#   ansible web-01 -m tidy.docker.container -a 'name=hello state=stopped stop_timeout=2'
#   ansible web-01 -m tidy.docker.container -a 'name=hello state=absent' --check --diff

- name: Run a command to completion and print its output, like docker run busybox cal
  tidy.docker.container:
    name: calendar
    image: busybox:1.36
    command: cal
    detach: false
  register: calendar

- name: Show the calendar
  ansible.builtin.debug:
    var: calendar.output_lines

- name: Run a loop in the background, like docker run -d IMAGE sh -c "while true; ..."
  tidy.docker.container:
    name: hello
    image: busybox:1.36
    command: sh -c "while true; do echo hello; sleep 1; done"
    init: true

- name: Read its last log lines, like docker logs --tail 5
  tidy.docker.container_info:
    name: hello
    logs_tail: 5
  register: hello_logs

- name: Stop it within two seconds, like docker stop -t 2
  tidy.docker.container:
    name: hello
    state: stopped
    stop_timeout: 2

- name: Start it again, like docker start
  tidy.docker.container:
    name: hello
    state: started

- name: Restart it, like docker restart (always reports a change)
  tidy.docker.container:
    name: hello
    state: restarted

- name: Keep a shell up in the background, like docker run -dit busybox sh
  tidy.docker.container:
    name: shell
    image: busybox:1.36
    command: sh
    interactive: true
    tty: true

- name: A service with ports, volumes, environment and a restart policy
  tidy.docker.container:
    name: web
    image: registry.example.com/shop/web:4
    env:
      LOG_LEVEL: info
      WORKERS: "4"
    labels:
      team: shop
    published_ports:
      - 8080:80
      - 127.0.0.1:9090:9090/udp
    volumes:
      - /srv/web/config:/etc/web:ro
      - web-data:/var/lib/web
    restart_policy: unless-stopped
  register: web

- name: Say which settings made it recreate
  ansible.builtin.debug:
    msg: "recreated because of {{ web.drifted | join(', ') }}"
  when: "'recreated' in web.actions"

- name: Always run the newest image of a tag, pulling it first
  tidy.docker.container:
    name: web
    image: registry.example.com/shop/web:stable
    pull: always

- name: A one-off job whose exit code is handled by the play
  tidy.docker.container:
    name: migrate
    image: registry.example.com/shop/web:4
    command: [/app/migrate, --check]
    detach: false
    wait_timeout: 10m
    fail_on_error: false
    recreate: true
  register: migrate

# The fleet tests run each Debian "host" like this; it is the task form of
#   docker run -d --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined
#     --security-opt apparmor=unconfined --device-cgroup-rule 'a *:* rwm' --cgroupns host
#     -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /tmp:size=64m --network host
#     -v DIR:/var/lib/docker -v FILE:/boot.sh:ro -e K=V IMAGE /bin/sh /boot.sh
# and a container made by that command is no drift from it: the module adopts it without recreating it.
- name: A host with its own Docker engine inside (a Debian image with docker.io), without --privileged
  tidy.docker.container:
    name: host-01
    image: fleet/debian-host:12
    command: [/bin/sh, /boot.sh]          # starts dockerd, then keeps running
    cap_add: [ALL]
    cap_drop: [SYS_RESOURCE]
    security_opts:
      - seccomp=unconfined
      - apparmor=unconfined
    device_cgroup_rules:
      - a *:* rwm
    cgroupns_mode: host
    volumes:
      - /sys/fs/cgroup:/sys/fs/cgroup:rw
      - /srv/host-01/docker:/var/lib/docker   # the inner engine's data, on a real file system
      - /srv/host-01/boot.sh:/boot.sh:ro       # a single file, read-only
    tmpfs:
      - /run
      - /tmp:size=64m
    network_mode: host
    env:
      HOST_NAME: host-01

- name: Stop and remove it, anonymous volumes too, like docker rm -f -v
  tidy.docker.container:
    name: hello
    state: absent
    force_kill: true
    keep_volumes: false
"""

RETURN = r"""
actions:
  description:
    - What was done (in check mode, what would be done), in order. Empty when nothing had to change.
    - C(pulled), C(created), C(recreated) (stopped if running, removed, created again), C(started), C(unpaused),
      C(stopped), C(killed), C(restarted), C(removed).
    - C(changed) is true exactly when it is not empty. Typical lists are V([pulled, created, started]) (a first
      C(docker run -d)), V([]) (nothing to do), V([recreated, started]) (drift) and V([stopped, removed])
      (O(state=absent) on a running container).
  returned: always
  type: list
  elements: str
  sample: [recreated, started]
drifted:
  description:
    - The compared settings in which the existing container differed from the task, which made it recreate.
    - The compared settings are O(image), O(command), O(entrypoint), O(env), O(labels), O(published_ports),
      O(volumes), O(restart_policy) (and O(restart_retries)), O(network_mode), O(interactive), O(tty), O(init),
      O(privileged), O(cap_add), O(cap_drop), O(security_opts), O(device_cgroup_rules), O(cgroupns_mode) and
      O(tmpfs).
  returned: always
  type: list
  elements: str
  sample: [env]
container:
  description:
    - The container after the task, as M(tidy.docker.container_info) reports it; V(null) when it does not exist.
    - In check mode, the container as it is now.
  returned: always
  type: dict
  contains:
    id:
      description: Full container id.
      type: str
      sample: 5d59ff802fdcdd1e6e950df709a29aa55224dff2b0533905b4fd94f8a1351096
    name:
      description: Name, without the leading slash.
      type: str
      sample: hello
    image:
      description: The image reference the container was created with.
      type: str
      sample: busybox:1.36
    image_id:
      description: Id of that image.
      type: str
      sample: sha256:0f756168597616c98efff132d93128f5d55c688162ec53d99c759c1394039a9f
    command:
      description: The command it runs (entrypoint and arguments).
      type: list
      elements: str
      sample: [sh, -c, "while true; do echo hello; sleep 1; done"]
    created:
      description: Creation time, ISO 8601 UTC.
      type: str
      sample: "2026-11-27T23:02:52.083640Z"
    state:
      description: One of V(created), V(running), V(paused), V(restarting), V(removing), V(exited), V(dead).
      type: str
      sample: running
    status:
      description: The engine's status word (the C(docker ps) text is only in M(tidy.docker.container_info)).
      type: str
      sample: running
    running:
      description: Whether it is running (and not paused).
      type: bool
      sample: true
    paused:
      description: Whether it is paused.
      type: bool
      sample: false
    restarting:
      description: Whether the engine is restarting it.
      type: bool
      sample: false
    exit_code:
      description: Exit code of the last run; V(0) also for a container never started.
      type: int
      sample: 0
    started_at:
      description: Last start time, ISO 8601 UTC; V(null) if never started.
      type: str
      sample: "2026-11-27T23:03:02.462793Z"
    finished_at:
      description: Finish time of the last run, ISO 8601 UTC (a running container keeps that of its previous run);
        V(null) if it never finished.
      type: str
      sample: "2026-11-27T23:03:02.231360Z"
    labels:
      description: Container labels, the image's included.
      type: dict
      sample: {}
    restart_count:
      description: How often the engine restarted it under its restart policy (not counting C(docker restart)).
      type: int
      sample: 0
    restart_policy:
      description: Restart policy, V(no) when none.
      type: str
      sample: "no"
    network_mode:
      description: Network mode.
      type: str
      sample: default
exit_code:
  description: Exit code of the attached run.
  returned: with O(detach=false), when the run happened (not in check mode) or had already happened
  type: int
  sample: 0
output:
  description: What the attached run printed (stdout and stderr), as one string.
  returned: with O(detach=false) and O(output_logs=true), when RV(exit_code) is returned
  type: str
  sample: "   November 2026\nSu Mo Tu We Th Fr Sa\n 1  2  3  4  5  6  7\n 8  9 10 11 12 13 14\n15 16 17 18 19 20 21\n\
    22 23 24 25 26 27 28\n29 30\n                     "
output_lines:
  description: RV(output) split into lines.
  returned: with O(detach=false) and O(output_logs=true), when RV(exit_code) is returned
  type: list
  elements: str
  sample: ["   November 2026", "Su Mo Tu We Th Fr Sa", " 1  2  3  4  5  6  7", " 8  9 10 11 12 13 14",
           "15 16 17 18 19 20 21", "22 23 24 25 26 27 28", "29 30", "                     "]
diff:
  description: Before and after of the state and of every compared setting the task sets.
  returned: in diff mode
  type: dict
  contains:
    before:
      description: The container before the task; only C(state=absent) when it did not exist.
      type: dict
      sample: {state: running, image: "busybox:1.36",
               image_id: "sha256:0f756168597616c98efff132d93128f5d55c688162ec53d99c759c1394039a9f",
               command: [sleep, "300"], env: {GREETING: "(hidden)"}, init: true}
    after:
      description: The container after the task (in check mode, as predicted).
      type: dict
      sample: {state: running, image: "busybox:1.36",
               image_id: "sha256:0f756168597616c98efff132d93128f5d55c688162ec53d99c759c1394039a9f",
               command: [sleep, "300"], env: {GREETING: "(hidden, changed)"}, init: true}
"""

import typing as t

from ansible_collections.tidy.docker.plugins.module_utils._engine.module import TidyDockerModule
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_isolation import CGROUPNS_MODES
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_options import (
    PULL_POLICIES,
    RESTART_POLICIES,
    STATES,
    wanted_from_params,
)
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_run import ContainerRun
from ansible_collections.tidy.docker.plugins.module_utils._lifecycle.container_secrets import secret_env_values

ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": list(STATES), "default": "started"},
    "image": {"type": "str"},
    "pull": {"type": "str", "choices": list(PULL_POLICIES), "default": "missing"},
    "command": {"type": "raw"},
    "entrypoint": {"type": "raw"},
    "env": {"type": "dict"},
    "labels": {"type": "dict"},
    "published_ports": {"type": "list", "elements": "str", "aliases": ["ports"]},
    "volumes": {"type": "list", "elements": "str"},
    "restart_policy": {"type": "str", "choices": list(RESTART_POLICIES)},
    "restart_retries": {"type": "int"},
    "network_mode": {"type": "str"},
    "interactive": {"type": "bool"},
    "tty": {"type": "bool"},
    "init": {"type": "bool"},
    "privileged": {"type": "bool"},
    "cap_add": {"type": "list", "elements": "str", "aliases": ["capabilities"]},
    "cap_drop": {"type": "list", "elements": "str"},
    "security_opts": {"type": "list", "elements": "str"},
    "device_cgroup_rules": {"type": "list", "elements": "str"},
    "cgroupns_mode": {"type": "str", "choices": list(CGROUPNS_MODES)},
    "tmpfs": {"type": "list", "elements": "str"},
    "log_driver": {"type": "str"},
    "log_options": {"type": "dict"},
    "detach": {"type": "bool", "default": True},
    "wait_timeout": {"type": "raw"},
    "output_logs": {"type": "bool", "default": True},
    "fail_on_error": {"type": "bool", "default": True},
    "recreate": {"type": "bool", "default": False},
    "stop_timeout": {"type": "raw"},
    "force_kill": {"type": "bool", "default": False},
    "keep_volumes": {"type": "bool", "default": True},
    "show_env_values": {"type": "bool", "default": False},
}


def manage(module: TidyDockerModule) -> dict[str, t.Any]:
    # Before anything can fail: Ansible masks these wherever they appear, -vvv's module_args included.
    module.no_log_values.update(secret_env_values(module.params.get("env")))
    wanted = wanted_from_params(module.params)  # bad options fail before the engine is contacted
    return ContainerRun(module.client, wanted, module.check_mode).run(diff=module._diff)


def main() -> None:
    module = TidyDockerModule(argument_spec=ARGUMENT_SPEC)
    module.run(manage)


if __name__ == "__main__":
    main()
