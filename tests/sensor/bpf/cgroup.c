/* Container id from cgroup paths: real shapes from docker, containerd, CRI-O,
 * podman, kubernetes (v1 and v2), host paths, and malformed ids. */
#include <string.h>

#include "sensor/bpf/tables.h"
#include "tap.h"
#include "util/err.h"

#define H64 "3f2504e04f8911d39a0c0305e82c33013f2504e04f8911d39a0c0305e82c3301"

static const char *id_of(const char *path, const char **rt)
{
        static char out[SENSOR_CONTAINER_ID_MAX + 1];
        *rt = NULL;
        if (sensor_cgroup_container_id(path, strlen(path), out, sizeof(out), rt) < 0)
                return NULL;
        return out;
}

TEST(docker_v1_and_v2)
{
        const char *rt;
        CHECK_STR(id_of("/docker/" H64, &rt), H64);
        CHECK_STR(rt, "docker");
        CHECK_STR(id_of("/system.slice/docker-" H64 ".scope", &rt), H64);
        CHECK_STR(rt, "docker");
        /* docker with the cgroupfs driver under v2 */
        CHECK_STR(id_of("/docker/" H64 "/", &rt), H64);
}

TEST(containerd_crio_podman)
{
        const char *rt;
        /* containerd with the systemd driver on v1: "<slice>:cri-containerd:<id>" */
        CHECK_STR(id_of("/system.slice/containerd.service/kubepods-burstable-pod1234.slice:"
                        "cri-containerd:" H64, &rt), H64);
        CHECK_STR(rt, "containerd");
        CHECK_STR(id_of("/kubepods-pod1.slice:crio:" H64, &rt), H64);
        CHECK_STR(rt, "cri-o");
        CHECK_STR(id_of("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-poda1b2.slice/"
                        "cri-containerd-" H64 ".scope", &rt), H64);
        CHECK_STR(rt, "containerd");
        CHECK_STR(id_of("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod9.slice/crio-" H64
                        ".scope", &rt), H64);
        CHECK_STR(rt, "cri-o");
        CHECK(id_of("/kubepods.slice/crio-conmon-" H64 ".scope", &rt) == NULL);
        CHECK_STR(id_of("/machine.slice/libpod-" H64 ".scope", &rt), H64);
        CHECK_STR(rt, "podman");
        CHECK_STR(id_of("/machine.slice/libpod-" H64 ".scope/container", &rt), H64);
        CHECK(id_of("/machine.slice/libpod-conmon-" H64 ".scope", &rt) == NULL);
        CHECK_STR(id_of("/libpod_parent/libpod-" H64, &rt), H64);
}

TEST(kubepods_cgroupfs_v1)
{
        const char *rt;
        CHECK_STR(id_of("/kubepods/burstable/pod5c7d3f2e-1111-2222-3333-444455556666/" H64, &rt), H64);
        CHECK_STR(rt, "cri");
        CHECK_STR(id_of("/kubepods/pod5c7d3f2e-1111/" H64, &rt), H64);
}

TEST(host_paths)
{
        const char *rt;
        const char *host[] = { "/", "", "/init.scope", "/system.slice/docker.service",
                               "/user.slice/user-1000.slice/session-2.scope",
                               "/process_api/f52c68462df37974d443c15d5da60b7f",
                               "/system.slice/containerd.service", "/docker", "/docker/",
                               "/lxc/mybox" };
        for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++)
                CHECK(id_of(host[i], &rt) == NULL);
}

TEST(odd_ids_rejected)
{
        const char *rt;
        CHECK(id_of("/docker/" H64 "0", &rt) == NULL);                   /* 65 hex */
        CHECK(id_of("/docker/3F2504E04F8911D39A0C0305E82C33013F2504E04F8911D39A0C0305E82C3301", &rt) == NULL);
        CHECK(id_of("/system.slice/docker-xyz.scope", &rt) == NULL);
        CHECK(id_of("/system.slice/docker-.scope", &rt) == NULL);
        CHECK(id_of("/system.slice/docker-abc.scope", &rt) == NULL);      /* < 12 */
        CHECK_STR(id_of("/system.slice/docker-0123456789ab.scope", &rt), "0123456789ab");
        CHECK(id_of("docker-" H64 "0.scope", &rt) == NULL);
}

TEST(deepest_wins_and_bounds)
{
        const char *rt;
        const char *inner = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        CHECK_STR(id_of("/docker/" H64 "/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                        &rt), inner);
        char small[10];
        CHECK_INT(sensor_cgroup_container_id("/docker/" H64, strlen("/docker/" H64), small, sizeof(small), &rt),
                  DOU_ETOOBIG);
        /* length bounds the parse: the id past len is not seen */
        const char *p = "/docker/" H64;
        char out[80];
        CHECK_INT(sensor_cgroup_container_id(p, 20, out, sizeof(out), &rt), DOU_ENOTFOUND);
        CHECK_INT(sensor_cgroup_container_id(NULL, 0, out, sizeof(out), &rt), DOU_ENOTFOUND);
}

TEST(proc_cgroup_file)
{
        const char *file = "12:pids:/docker/" H64 "\n"
                           "11:memory:/docker/" H64 "\n"
                           "1:name=systemd:/docker/" H64 "\n"
                           "0::/\n";
        char out[80];
        const char *rt = NULL;
        CHECK_INT(sensor_cgroup_file_container_id(file, strlen(file), out, sizeof(out), &rt), 0);
        CHECK_STR(out, H64);
        const char *v2 = "0::/system.slice/docker-" H64 ".scope\n";
        CHECK_INT(sensor_cgroup_file_container_id(v2, strlen(v2), out, sizeof(out), &rt), 0);
        CHECK_STR(out, H64);
        const char *host = "4:memory:/process_api/f52c\n0::/\n";
        CHECK_INT(sensor_cgroup_file_container_id(host, strlen(host), out, sizeof(out), &rt), DOU_ENOTFOUND);
        const char *colons = "0::/weird:docker-" H64 ".scope";   /* no trailing newline */
        CHECK_INT(sensor_cgroup_file_container_id(colons, strlen(colons), out, sizeof(out), &rt), 0);
        CHECK_STR(rt, "docker");
        const char *garbage = "no colons here\n::\n:\n";
        CHECK_INT(sensor_cgroup_file_container_id(garbage, strlen(garbage), out, sizeof(out), &rt), DOU_ENOTFOUND);
}

TAP_MAIN()
