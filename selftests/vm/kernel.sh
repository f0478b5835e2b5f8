# SPDX-License-Identifier: GPL-2.0
# Debian 12's packaged kernels for the VM: find, fetch, unpack and give
# each a small busybox initramfs. Sourced by selftests/vm/run.

CALPERF_CACHE=${CALPERF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/calperf}
mkdir -p "$CALPERF_CACHE/kernels" "$CALPERF_CACHE/runs"

# shellcheck source=scripts/kernel-headers
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/kernel-headers"

# The kernel release of a line ("6.1", "6.12"), e.g. 6.1.0-57-amd64,
# with its headers fetched into the cache: the module is built against
# those, so the image must be the same version.
kernel_release() {
	local rel

	rel=$(headers_release "$1") && headers_fetch "$rel" >/dev/null || {
		echo "vm/run: no headers for kernel $1: run 'make deps'" >&2
		return 1
	}
	echo "$rel"
}

# Modules the initramfs loads, in order, to mount the host root over 9p
# (and a writable overlay on it, for --overlay).
initramfs_modules() {
	local root=$1 rel=$2

	modprobe -d "$root" -S "$rel" -a --show-depends \
		9p 9pnet_virtio virtio_pci overlay 2>/dev/null |
		awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++'
}

initramfs_build() {
	local root=$1 rel=$2 out=$3 dir mod name

	dir=$(mktemp -d)
	mkdir -p "$dir/bin" "$dir/mod"
	: >"$dir/mod/order"
	cp /bin/busybox "$dir/bin/busybox"
	cp "$(dirname "${BASH_SOURCE[0]}")/init" "$dir/init"
	chmod 755 "$dir/init"
	for mod in $(initramfs_modules "$root" "$rel"); do
		name=$(basename "$mod")
		case "$name" in
		*.xz) xz -dc "$mod" >"$dir/mod/${name%.xz}"; name=${name%.xz} ;;
		*) cp "$mod" "$dir/mod/$name" ;;
		esac
		echo "$name" >>"$dir/mod/order"
	done
	(cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
	rm -rf "$dir"
}

# Download and unpack linux-image-REL once; print the cache directory
# holding vmlinuz, the modules (depmod'ed) and, named in its file
# "initramfs", the initramfs for the current selftests/vm/init.
kernel_fetch() {
	local rel=$1 kdir="$CALPERF_CACHE/kernels/$1" tmp deb sum

	if [ ! -e "$kdir/.ready" ]; then
		echo "vm/run: fetching linux-image-$rel" >&2
		rm -rf "$kdir"
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root \
			"linux-image-$rel" >&2) || {
			echo "vm/run: cannot download linux-image-$rel (apt-get update?)" >&2
			rm -rf "$tmp"
			return 1
		}
		deb=$(ls "$tmp"/*.deb)
		mkdir -p "$kdir/root"
		dpkg-deb -x "$deb" "$kdir/root"
		rm -rf "$tmp"
		# Debian 12 packages may place modules under lib/ or usr/lib/.
		if [ -d "$kdir/root/usr/lib/modules" ] && [ ! -d "$kdir/root/lib/modules" ]; then
			mkdir -p "$kdir/root/lib"
			mv "$kdir/root/usr/lib/modules" "$kdir/root/lib/modules"
		fi
		depmod -b "$kdir/root" "$rel"
		cp "$kdir/root/boot/vmlinuz-$rel" "$kdir/vmlinuz"
		touch "$kdir/.ready"
	fi
	kernel_initramfs "$kdir" "$rel"
	echo "$kdir"
}

# The initramfs of the kernel in @kdir, named in its file "initramfs";
# rebuilt whenever selftests/vm/init changes. (A kernel with all it
# needs built in, as the debug kernel, gets one without modules.)
kernel_initramfs() {
	local kdir=$1 rel=$2 sum

	sum=$(sha256sum "$(dirname "${BASH_SOURCE[0]}")/init" | cut -c1-16)
	if [ ! -e "$kdir/initramfs-$sum.cpio.gz" ]; then
		rm -f "$kdir"/initramfs-*.cpio.gz
		initramfs_build "$kdir/root" "$rel" "$kdir/initramfs-$sum.cpio.gz"
	fi
	echo "$kdir/initramfs-$sum.cpio.gz" >"$kdir/initramfs"
}
