#!/usr/bin/env python3
"""Runs one systemd service unit the way systemd would, where systemd cannot run (a chroot in a lab namespace).

Used by test-vms/suites/90-deb.sh because this machine's PID 1 is not systemd and systemd-nspawn cannot boot
here. It honours what the torgate units use: Condition*PathExists (with the | prefix), User/Group,
AmbientCapabilities, CapabilityBoundingSet, NoNewPrivileges (via setpriv), Environment, RuntimeDirectory and
StateDirectory (created and chowned; the runtime one removed on stop), ExecStartPre/ExecStart/ExecStartPost/
ExecStopPost (a leading '+' runs as root), Type=notify with its own $NOTIFY_SOCKET (READY=1 before
ExecStartPost, WATCHDOG=1 against WatchdogSec), TimeoutStartSec/TimeoutStopSec. The hardening keys that need
systemd's mount namespace (ProtectSystem, PrivateTmp, ...) are not emulated: the suite checks them statically.

  unit-runner.py --root DIR --netns NS --unit FILE --state DIR [--continue-without-ready]

Runs in the foreground until SIGTERM (= systemctl stop) or until the main process exits; the state directory
gets UNIT.events (one "EVENT detail" line each: started, ready, watchdog, no-ready, exited, stopped,
condition-failed, failed) and UNIT.log (the service's output).
"""
import argparse, os, pwd, grp, shlex, signal, socket, subprocess, sys, time


def parse_unit(path):
    keys, section, cont = [], None, ""
    for raw in open(path):
        line = cont + raw.rstrip("\n")
        if line.endswith("\\"):
            cont = line[:-1] + " "
            continue
        cont = ""
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line:
            k, v = line.split("=", 1)
            keys.append((section, k.strip(), v.strip()))
    return keys


class Unit:
    def __init__(self, path):
        self.keys = parse_unit(path)
        self.name = os.path.basename(path).rsplit(".", 1)[0]

    def all(self, key, section="Service"):
        return [v for s, k, v in self.keys if s == section and k == key]

    def one(self, key, default=None, section="Service"):
        vals = self.all(key, section)
        return vals[-1] if vals else default


def seconds(text, default):
    if text is None:
        return default
    text = text.strip()
    for suffix, mult in (("min", 60), ("ms", 0.001), ("s", 1)):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * mult
    return float(text)


class Runner:
    def __init__(self, a):
        self.a, self.u = a, Unit(a.unit)
        self.events = open(os.path.join(a.state, self.u.name + ".events"), "a", buffering=1)
        self.log = open(os.path.join(a.state, self.u.name + ".log"), "ab", buffering=0)
        self.stop_requested = False
        self.main = None

    def event(self, what, detail=""):
        self.events.write("%s %.3f %s\n" % (what, time.time(), detail))

    def in_root(self, p):
        return os.path.join(self.a.root, p.lstrip("/"))

    def conditions_ok(self):
        triggers = [v[1:] for v in self.u.all("ConditionPathExists", "Unit") if v.startswith("|")]
        plain = [v for v in self.u.all("ConditionPathExists", "Unit") if not v.startswith("|")]
        ok = all(os.path.exists(self.in_root(p)) for p in plain)
        return ok and (not triggers or any(os.path.exists(self.in_root(p)) for p in triggers))

    def ids(self):
        user = self.u.one("User")
        if user is None:
            return None
        for line in open(self.in_root("/etc/passwd")):
            f = line.split(":")
            if f[0] == user:
                return int(f[2]), int(f[3])
        raise SystemExit("no user %s in the root" % user)

    def make_dirs(self):
        ids = self.ids() or (0, 0)
        for key, base in (("RuntimeDirectory", "/run"), ("StateDirectory", "/var/lib")):
            for name in " ".join(self.u.all(key)).split():
                d = self.in_root(os.path.join(base, name))
                os.makedirs(d, exist_ok=True)
                os.chown(d, *ids)
                os.chmod(d, int(self.u.one(key + "Mode", "0755"), 8))

    def argv(self, line, as_root):
        cmd = ["ip", "netns", "exec", self.a.netns, "chroot", self.a.root]
        ids = self.ids()
        if ids and not as_root:
            cmd += ["setpriv", "--reuid", str(ids[0]), "--regid", str(ids[1]), "--init-groups"]
            caps = ",".join("+" + c.lower().replace("cap_", "") for c in " ".join(
                self.u.all("AmbientCapabilities")).split())
            if caps:
                cmd += ["--inh-caps", caps, "--ambient-caps", caps]
            bound = self.u.one("CapabilityBoundingSet")
            if bound is not None:
                cmd += ["--bounding-set", ",".join(["-all"] + ["+" + c.lower().replace("cap_", "")
                                                            for c in bound.split()])]
            if self.u.one("NoNewPrivileges") in ("yes", "true", "1"):
                cmd += ["--no-new-privs"]
            cmd += ["--"]
        return cmd + shlex.split(line)

    def env(self):
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        for e in self.u.all("Environment"):
            for item in shlex.split(e):
                k, v = item.split("=", 1)
                env[k] = v
        return env

    def run_hook(self, key):
        for line in self.u.all(key):
            as_root = line.startswith("+")
            rc = subprocess.call(self.argv(line.lstrip("+-"), as_root), env=self.env(), stdout=self.log,
                                 stderr=self.log, stdin=subprocess.DEVNULL, timeout=60)
            self.event(key, "rc=%d %s" % (rc, line))
            if rc != 0 and not line.startswith("-"):
                return False
        return True

    def run(self):
        if not self.conditions_ok():
            self.event("condition-failed")
            return 0
        self.make_dirs()
        notify = self.u.one("Type", "simple") == "notify"
        sock_path = "/run/%s.notify" % self.u.name
        env = self.env()
        sock = None
        if notify:
            if os.path.exists(self.in_root(sock_path)):
                os.unlink(self.in_root(sock_path))
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(self.in_root(sock_path))
            os.chmod(self.in_root(sock_path), 0o666)
            env["NOTIFY_SOCKET"] = sock_path
            wd = seconds(self.u.one("WatchdogSec"), 0)
            if wd:
                env["WATCHDOG_USEC"] = str(int(wd * 1e6))
        if not self.run_hook("ExecStartPre"):
            self.event("failed", "ExecStartPre")
            return self.finish(1)
        line = self.u.one("ExecStart")
        self.main = subprocess.Popen(self.argv(line, line.startswith("+")), env=env, stdout=self.log,
                                     stderr=self.log, stdin=subprocess.DEVNULL, start_new_session=True)
        self.event("started", "pid=%d" % self.main.pid)
        if notify and not self.await_ready(sock):
            if not self.a.continue_without_ready:
                self.terminate()
                return self.finish(1)
        if not self.run_hook("ExecStartPost"):
            self.event("failed", "ExecStartPost")
            self.terminate()
            return self.finish(1)
        return self.finish(self.supervise(sock))

    def await_ready(self, sock):
        deadline = time.time() + seconds(self.u.one("TimeoutStartSec"), 90)
        while time.time() < deadline and self.main.poll() is None and not self.stop_requested:
            sock.settimeout(0.5)
            try:
                msg = sock.recv(4096).decode(errors="replace")
            except socket.timeout:
                continue
            if "READY=1" in msg.split("\n"):
                self.event("ready", msg.replace("\n", " ").strip())
                return True
        self.event("no-ready", "rc=%s" % self.main.poll())
        return False

    def supervise(self, sock):
        wd = seconds(self.u.one("WatchdogSec"), 0)
        last = time.time()
        while self.main.poll() is None and not self.stop_requested:
            if sock is None:
                time.sleep(0.5)
                continue
            sock.settimeout(0.5)
            try:
                msg = sock.recv(4096).decode(errors="replace")
                if "WATCHDOG=1" in msg.split("\n"):
                    last = time.time()
                    self.event("watchdog")
            except socket.timeout:
                pass
            if wd and time.time() - last > wd:
                self.event("watchdog-timeout")
                self.main.send_signal(signal.SIGABRT)
                break
        if self.stop_requested:
            self.terminate()
            self.event("stopped", "rc=%s" % self.main.returncode)
            return 0
        self.main.wait()
        self.event("exited", "rc=%s" % self.main.returncode)
        return 1

    def terminate(self):
        if self.main and self.main.poll() is None:
            os.killpg(self.main.pid, signal.SIGTERM)
            try:
                self.main.wait(seconds(self.u.one("TimeoutStopSec"), 90))
            except subprocess.TimeoutExpired:
                self.event("killed")
                os.killpg(self.main.pid, signal.SIGKILL)
                self.main.wait()

    def finish(self, rc):
        self.run_hook("ExecStopPost")
        for name in " ".join(self.u.all("RuntimeDirectory")).split():
            subprocess.call(["rm", "-rf", self.in_root(os.path.join("/run", name))])
        if os.path.exists(self.in_root("/run/%s.notify" % self.u.name)):
            os.unlink(self.in_root("/run/%s.notify" % self.u.name))
        self.event("done", "rc=%d" % rc)
        return rc


def main():
    p = argparse.ArgumentParser()
    for opt in ("--root", "--netns", "--unit", "--state"):
        p.add_argument(opt, required=True)
    p.add_argument("--continue-without-ready", action="store_true")
    r = Runner(p.parse_args())
    signal.signal(signal.SIGTERM, lambda *_: setattr(r, "stop_requested", True))
    sys.exit(r.run())


if __name__ == "__main__":
    main()
