# rvenv's interpreter probe: prints one JSON object describing this interpreter.
# It must run unchanged on Python 2.7 (so rvenv can name the version it refuses) and 3.6+,
# under -E -s -S (no site, no environment), and print nothing else.
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


implementation = getattr(sys, "implementation", None)
print(json.dumps({
    "placeholder": ENV,
    "implementation": implementation.name if implementation else "cpython",
    "version": list(sys.version_info[:3]),
    "releaselevel": sys.version_info[3],
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
}))
