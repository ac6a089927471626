#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build-initramfs.sh OUTDIR [KVER] - build the test guest's busybox initramfs.
#
# Contents: busybox-static, the kernel modules virtio-net over virtio-pci needs (plus
# qemu_fw_cfg, which carries the boot script), iperf3 and ethtool with their shared
# libraries, and tests/vm/guest-init as /init.  All of it comes from the Debian
# packages installed on this machine: linux-image-amd64, busybox-static, iperf3,
# ethtool.
#
# The image is cached in OUTDIR under a name made of the kernel version and a hash
# of this script and guest-init, so a second call returns at once; it is built in a
# temporary directory and renamed into place, so concurrent callers are safe.
# Prints the image's path on stdout.  KVER defaults to the newest kernel in /boot
# whose modules are installed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

# Load order matters: insmod does not resolve dependencies.  This is the order
# `modprobe --show-depends` gives for virtio_net and virtio_pci; resolve_modules
# checks it against the installed kernel rather than trusting it blindly.
MODULES="virtio_ring virtio failover net_failover virtio_net
	virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci qemu_fw_cfg"
BINARIES="iperf3 ethtool"

die() { echo "build-initramfs: $*" >&2; exit 1; }

newest_kver() {
	local v best=""
	for f in /boot/vmlinuz-*; do
		[ -e "$f" ] || continue
		v=${f#/boot/vmlinuz-}
		[ -d "/lib/modules/$v" ] || continue
		if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$v" | sort -V | tail -n1)" = "$v" ]; then
			best=$v
		fi
	done
	[ -n "$best" ] || die "no /boot/vmlinuz-* with modules (apt-get install linux-image-amd64)"
	echo "$best"
}

# resolve_modules KVER: print module files, dependencies first, each once; a module
# built into the kernel prints nothing ("builtin" lines).
resolve_modules() {
	local kver=$1 m line seen=" "
	for m in $MODULES; do
		modprobe -S "$kver" --show-depends "$m" >/dev/null 2>&1 ||
			die "module $m not found for kernel $kver"
		while read -r line; do
			case "$line" in
			insmod\ *) ;;
			*) continue ;;
			esac
			line=${line#insmod }
			line=${line%% *}
			case "$seen" in
			*" $line "*) continue ;;
			esac
			seen="$seen$line "
			echo "$line"
		done < <(modprobe -S "$kver" --show-depends "$m")
	done
}

# copy_module SRC DEST: copy a module, decompressing .ko.xz/.ko.zst/.ko.gz because
# busybox insmod loads plain ELF only.
copy_module() {
	case "$1" in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) xz -dc "$1" > "$2" ;;
	*.ko.zst) zstd -qdc "$1" > "$2" ;;
	*.ko.gz) gzip -dc "$1" > "$2" ;;
	*) die "unknown module format: $1" ;;
	esac
}

# copy_binary ROOT PATH: copy an executable and every shared library ldd names,
# keeping their paths so the dynamic loader finds them.
copy_binary() {
	local root=$1 bin=$2 lib
	mkdir -p "$root$(dirname "$bin")"
	cp -L "$bin" "$root$bin"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

build() {
	local kver=$1 root=$2 mod base b
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,lib/modules}
	cp /bin/busybox "$root/bin/busybox" 2>/dev/null || cp "$(command -v busybox)" "$root/bin/busybox"
	{ ldd "$root/bin/busybox" 2>&1 || true; } | grep -q 'not a dynamic' ||
		die "busybox is not static (apt-get install busybox-static)"
	for b in $("$root/bin/busybox" --list); do
		[ "$b" = busybox ] || ln -sf busybox "$root/bin/$b"
	done

	: > "$root/lib/modules/load-order"
	for mod in $(resolve_modules "$kver"); do
		base=$(basename "$mod")
		base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
		copy_module "$mod" "$root/lib/modules/$base"
		echo "$base" >> "$root/lib/modules/load-order"
	done

	for b in $BINARIES; do
		command -v "$b" >/dev/null || die "$b missing (apt-get install $b)"
		copy_binary "$root" "$(command -v "$b")"
	done
	# iperf3 looks up the service names and the host's own name.
	echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
	echo "root:x:0:" > "$root/etc/group"
	echo "127.0.0.1 localhost guest" > "$root/etc/hosts"

	cp "$here/guest-init" "$root/init"
	chmod 755 "$root/init"
}

# pack ROOT OUT: newc cpio, gzip-compressed (the Debian kernel decompresses gzip).
pack() {
	(cd "$1" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet -R 0:0) | gzip -6 > "$2"
}

main() {
	[ $# -ge 1 ] || die "usage: build-initramfs.sh OUTDIR [KVER]"
	local outdir=$1 kver=${2:-} hash out
	[ -n "$kver" ] || kver=$(newest_kver)
	command -v cpio >/dev/null || die "cpio missing (apt-get install cpio)"
	hash=$(cat "$0" "$here/guest-init" | sha256sum | cut -c1-12)
	mkdir -p "$outdir"
	out="$outdir/initramfs-$kver-$hash.cpio.gz"
	if [ ! -s "$out" ]; then
		# Global, not local: the EXIT trap runs after main has returned.
		tmp=$(mktemp -d "$outdir/.build.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		build "$kver" "$tmp/root"
		pack "$tmp/root" "$tmp/initramfs.cpio.gz"
		mv -f "$tmp/initramfs.cpio.gz" "$out"
		# Images of older versions of these scripts are dead weight.
		find "$outdir" -maxdepth 1 -name "initramfs-$kver-*.cpio.gz" \
			! -name "${out##*/}" -delete
	fi
	echo "$out"
}

main "$@"
