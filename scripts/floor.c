/* The floor for creating a virtual environment: only the syscalls the result needs (directories,
 * links, pyvenv.cfg, the activation scripts at rvenv's sizes), no interpreter, no decisions.
 * Usage: floor ENV_DIR PYTHON (PYTHON is linked to, never run). Built by scripts/bench.sh. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[16384];

static void die(const char *what) { perror(what); exit(1); }

static void dir(const char *env, const char *rel) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", env, rel);
    if (mkdir(path, 0777) != 0) die(path);
}

static void link_(const char *env, const char *rel, const char *target) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", env, rel);
    if (symlink(target, path) != 0) die(path);
}

static void file(const char *env, const char *rel, size_t size) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", env, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) die(path);
    if (write(fd, buf, size) != (ssize_t)size) die(path);
    close(fd);
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: floor ENV_DIR PYTHON\n"); return 2; }
    const char *env = argv[1];
    memset(buf, '#', sizeof buf);
    if (mkdir(env, 0777) != 0) die(env);
    dir(env, "include"); dir(env, "include/python3.12");
    dir(env, "lib"); dir(env, "lib/python3.12"); dir(env, "lib/python3.12/site-packages");
    link_(env, "lib64", "lib");
    dir(env, "bin");
    link_(env, "bin/python3.12", argv[2]);
    link_(env, "bin/python", "python3.12");
    link_(env, "bin/python3", "python3.12");
    file(env, "bin/activate", 2500); file(env, "bin/activate.fish", 2500);
    file(env, "bin/activate.csh", 1800); file(env, "bin/activate.nu", 2500);
    file(env, "bin/activate.xsh", 2000); file(env, "bin/Activate.ps1", 3000);
    file(env, ".gitignore", 80);
    file(env, "pyvenv.cfg", 300);
    return 0;
}
