# rvenv's interpreter probe: prints one JSON object describing this interpreter, and the
# skeleton its own venv makes for each link mode.
# It must run unchanged on Python 2.7 (so rvenv can name the version it refuses) and 3.6+,
# under -E -s -S (no site, no environment), and print nothing else on stdout.
import json
import os
import sys

ENV = "/@@rvenv-env@@"


def scheme_paths(scheme):
    try:
        import sysconfig
        if scheme not in sysconfig.get_scheme_names():
            return None
        env_vars = {"base": ENV, "platbase": ENV, "installed_base": ENV, "installed_platbase": ENV}
        return sysconfig.get_paths(scheme=scheme, vars=env_vars)
    except Exception:
        return None


def wheel_version(path):
    # pip-23.2.1-py3-none-any.whl -> "23.2.1"
    return os.path.basename(path).split("-")[1]


def newest(paths):
    # Debian's ensurepip orders by the version's all-digit parts (its _wheel_version).
    def key(path):
        return [int(p) for p in wheel_version(path).split(".") if p.isdigit()]
    return sorted(paths, key=key)[-1] if paths else None


def ensurepip_wheels():
    """The wheels `python -m ensurepip` would use, as [{name, version, path, install, copy_to}];
    None if this interpreter has no ensurepip. `install`: ensurepip installs it. `copy_to`: the
    directory, relative to the environment, that ensurepip also copies the wheel file into
    (Debian's PyPy copies every wheel of /usr/share/python-wheels to share/python-wheels, for its
    de-vendored pip), else None. Each CPython generation (and each distribution's patch of it)
    names the wheels differently, so ask the way that version answers."""
    try:
        import ensurepip
    except Exception:
        return None
    import glob
    bundled = os.path.join(os.path.dirname(ensurepip.__file__), "_bundled")
    found = []
    copy_to = None
    if hasattr(ensurepip, "_get_pip_whl_path_ctx"):  # 3.13+
        with ensurepip._get_pip_whl_path_ctx() as path:
            found.append(("pip", str(path)))
    elif hasattr(ensurepip, "_get_packages"):  # 3.10-3.12, and Debian's 3.11
        for name, package in ensurepip._get_packages().items():
            found.append((name, package.wheel_path or os.path.join(bundled, package.wheel_name)))
    elif hasattr(ensurepip, "_PROJECTS"):  # 3.6-3.9 (tuples), Debian's PyPy (names)
        system = "/usr/share/python-wheels"
        for project in ensurepip._PROJECTS:
            if isinstance(project, tuple):
                name, version = project[0], project[1]
                path = newest(glob.glob(os.path.join(bundled, "%s-%s-*.whl" % (name, version))))
            else:
                name = project
                path = newest(glob.glob(os.path.join(system, "%s-*[.-]py3-*.whl" % name)))
            if path:
                found.append((name, path))
        try:
            with open(ensurepip.__file__) as f:
                copies = "venv_wheel_dir" in f.read()
        except Exception:
            copies = False
        if copies:
            # Debian's PyPy: every project with a wheel in /usr/share/python-wheels, newest wheel
            # each, is copied into the environment, installed or not.
            copy_to = "share/python-wheels"
            installed = set(name for name, _ in found)
            projects = sorted(set(os.path.basename(w).split("-")[0] for w in glob.glob(os.path.join(system, "*.whl"))))
            for name in projects:
                path = newest(glob.glob(os.path.join(system, "%s-*[.-]py3-*.whl" % name)))
                if path and name not in installed:
                    found.append((name, path, False))
    return [{
        "name": item[0],
        "version": wheel_version(item[1]),
        "path": item[1],
        "install": len(item) < 3,
        "copy_to": copy_to,
    } for item in found]


def magic_number():
    try:
        import importlib.util
        return importlib.util.MAGIC_NUMBER.hex()
    except Exception:
        return None


# The prompt the skeletons are made with: only so that venv shows where (and whether) it records
# one in pyvenv.cfg.
PROMPT = "@@rvenv-prompt@@"


def venv_layouts(modes):
    """What this interpreter's own venv.EnvBuilder makes, for each link mode asked for (`symlinks`,
    `copies`), made in a temporary directory without pip and without activation scripts, as data:
    {"symlinks": ..., "copies": ...},
    each {"bin", "executable", "purelib", "entries", "cfg"} or {"error": why venv could not make it}.
    Copies are watched, not made: venv's call to shutil.copyfile is answered by opening the source
    (so a copy that would fail still fails) and leaving an empty file, and the source is recorded."""
    try:
        import shutil
        import tempfile
        import venv
    except Exception as e:
        return dict((mode, {"error": describe(e)}) for mode in modes)

    class Skeleton(venv.EnvBuilder):
        def ensure_directories(self, env_dir):
            self.context = venv.EnvBuilder.ensure_directories(self, env_dir)
            return self.context

        def setup_scripts(self, context):
            pass

    try:
        top = tempfile.mkdtemp(prefix="rvenv-layout-")
    except Exception:
        # Nowhere to ask venv this time: nothing learned (so nothing cached), asked again next time.
        return {}
    try:
        return dict((mode, learn(Skeleton, shutil, os.path.join(top, mode), mode == "symlinks"))
                    for mode in modes)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def describe(e):
    return ("%s: %s" % (type(e).__name__, e))[:300]


def learn(builder_class, shutil, env, symlinks):
    copies = {}

    def copyfile(src, dst, *args, **kwargs):
        with open(src, "rb"):
            pass
        with open(dst, "wb"):
            pass
        copies[dst] = copies.get(src, src)
        return dst

    real_copyfile = shutil.copyfile
    shutil.copyfile = copyfile
    try:
        builder = builder_class(symlinks=symlinks, with_pip=False, prompt=PROMPT)
        builder.create(env)
        context = builder.context
    except Exception as e:
        return {"error": describe(e)}
    finally:
        shutil.copyfile = real_copyfile

    def placed(path):
        # A path venv wrote, with the environment's own directory as the placeholder.
        if path == env or path.startswith(env + os.sep):
            return ENV + path[len(env):]
        return path

    def rel(path):
        return os.path.relpath(path, env)

    entries = []
    cfg = []

    def walk(directory):
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            mode = os.lstat(path).st_mode
            if os.path.islink(path):
                entries.append({"kind": "symlink", "path": rel(path), "target": placed(os.readlink(path))})
            elif os.path.isdir(path):
                entries.append({"kind": "dir", "path": rel(path)})
                walk(path)
            elif rel(path) == "pyvenv.cfg":
                with open(path, "rb") as f:
                    for line in f.read().decode("utf-8").splitlines():
                        key, _, value = line.partition(" = ")
                        cfg.append([key, value.replace(env, ENV)])
            elif path in copies:
                entries.append({"kind": "copy", "path": rel(path), "from": placed(copies[path]),
                                "mode": mode & 0o7777})
            else:
                with open(path, "rb") as f:
                    contents = f.read()
                entries.append({"kind": "file", "path": rel(path), "hex": contents.hex(), "mode": mode & 0o7777})

    try:
        walk(env)
        purelib = getattr(context, "lib_path", None)
        if purelib is None:
            # Before 3.11 venv keeps it to itself: the one site-packages directory it made.
            found = [e["path"] for e in entries if e["kind"] == "dir" and os.path.basename(e["path"]) == "site-packages"]
            if len(found) != 1:
                return {"error": "venv made %d site-packages directories" % len(found)}
            purelib = os.path.join(env, found[0])
        layout = {
            "bin": context.bin_name,
            "executable": os.path.basename(context.env_exe),
            "purelib": rel(purelib),
            "entries": entries,
            "cfg": cfg,
        }
        # A name that is not text (the file system's encoding could not decode it) cannot be
        # carried as JSON text: say so, rather than print something unreadable.
        json.dumps(layout).encode("utf-8")
        return layout
    except Exception as e:
        return {"error": describe(e)}


def gil_disabled():
    # A free-threaded build (3.13t) says so in its build configuration.
    try:
        import sysconfig
        return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    except Exception:
        return False


implementation = getattr(sys, "implementation", None)
print(json.dumps({
    "placeholder": ENV,
    "implementation": implementation.name if implementation else "cpython",
    "version": list(sys.version_info[:3]),
    "releaselevel": sys.version_info[3],
    "serial": sys.version_info[4],
    "gil_disabled": gil_disabled(),
    "debug": hasattr(sys, "gettotalrefcount"),
    "executable": sys.executable,
    "base_executable": getattr(sys, "_base_executable", None) or sys.executable,
    "real_executable": os.path.realpath(sys.executable),
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "base_prefix", sys.prefix),
    "is_64bit": sys.maxsize > 2 ** 32,
    "platform": sys.platform,
    "os_name": os.name,
    "venv_scheme": scheme_paths("venv"),
    "posix_prefix_scheme": scheme_paths("posix_prefix"),
    "cache_tag": getattr(implementation, "cache_tag", None),
    "magic_number": magic_number(),
    "ensurepip": ensurepip_wheels() if sys.version_info[0] >= 3 else None,
    # The link modes to learn are the probe's arguments.
    "venv_layouts": venv_layouts(sys.argv[1:]) if sys.version_info[0] >= 3 else None,
}))
