# kind base image, built offline: the steps of kind's images/base/Dockerfile (KIND_VERSION) on a Debian
# rootfs made by debootstrap (build.sh: rootfs_node), with containerd, runc, crictl and the CNI
# plugins built from Go modules (build.sh: runtime). Context: kind's images/base/files as files/,
# the runtime binaries as runtime/. The legacy builder is enough (no BuildKit, so no --chmod).
ARG ROOTFS
FROM ${ROOTFS}
COPY files/usr/local/bin/ /usr/local/bin/
COPY files/kind/ /kind/
COPY files/LICENSES/ /LICENSES/
COPY files/etc/ /etc/
COPY runtime/containerd runtime/containerd-shim-runc-v2 runtime/ctr runtime/crictl /usr/local/bin/
COPY runtime/runc /usr/local/sbin/runc
COPY runtime/cni/ /opt/cni/bin/
RUN chmod 755 /kind /kind/bin /kind/bin/* /usr/local/bin/* /usr/local/sbin/runc /opt/cni/bin/* \
    && find /kind /LICENSES /etc/containerd /etc/default /etc/sysctl.d /etc/systemd/system /etc/crictl.yaml \
         -type f ! -path '/kind/bin/*' -exec chmod 644 {} + \
    && find /lib/systemd/system/sysinit.target.wants/ -name "systemd-tmpfiles-setup.service" -delete \
    && rm -f /lib/systemd/system/multi-user.target.wants/* \
    && rm -f /etc/systemd/system/*.wants/* \
    && rm -f /lib/systemd/system/local-fs.target.wants/* \
    && rm -f /lib/systemd/system/sockets.target.wants/*udev* \
    && rm -f /lib/systemd/system/sockets.target.wants/*initctl* \
    && rm -f /lib/systemd/system/basic.target.wants/* \
    && echo "ReadKMsg=no" >> /etc/systemd/journald.conf \
    && ln -sf /usr/lib/systemd/systemd /sbin/init
# One change to kind's files: restrict_oom_score_adj = true (kind's entrypoint sets it only for
# rootless nodes). It makes containerd raise a pod's oom_score_adj to its own when the pod asks for
# a lower one: a no-op where containerd runs at -999 as usual, and what makes pods start at all on
# hosts whose containers lack CAP_SYS_RESOURCE (the CI machines: there runc fails every sandbox with
# "failed to update /proc/self/oom_score_adj: Permission denied").
RUN sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' /etc/containerd/config.toml \
    && grep -q 'restrict_oom_score_adj = true' /etc/containerd/config.toml
RUN systemctl enable kubelet.service \
    && systemctl enable containerd.service \
    && systemctl enable undo-mount-hacks.service \
    && systemctl mask systemd-binfmt.service \
    && mkdir -p /etc/kubernetes/manifests
RUN ctr oci spec \
        | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
        | jq 'del(.process.rlimits)' \
        > /etc/containerd/cri-base.json \
    && containerd --version && runc --version && crictl --version
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]
