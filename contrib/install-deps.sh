#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# install-deps.sh - install vuring's build and test dependencies on Debian 12.
#   sh contrib/install-deps.sh          build dependencies only
#   sh contrib/install-deps.sh --test   plus everything the test suite drives
set -eu

BUILD_PKGS="build-essential autoconf automake libtool pkg-config perl \
	libevent-dev liburing-dev libinih-dev libjson-c-dev \
	libxdp-dev libbpf-dev libsystemd-dev systemtap-sdt-dev libseccomp-dev"

# Real front-ends and kernel objects the integration and VM tests use, and
# clang for the second build and the fuzzers.
TEST_PKGS="clang libclang-rt-14-dev python3 iproute2 procps psmisc kmod \
	dpdk qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils \
	iperf3 ethtool netsniff-ng tcpdump bpftrace \
	systemd libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients"

pkgs=$BUILD_PKGS
[ "${1:-}" = "--test" ] && pkgs="$pkgs $TEST_PKGS"

export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 $pkgs
