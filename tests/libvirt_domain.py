#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""libvirt_domain.py - turn a shipped domain example into a test domain.

Usage: libvirt_domain.py IN OUT NAME KERNEL INITRD CMDLINE SOCKET CONSOLE SCRIPT

Keeps what the example is about (shared memfd memory, the vhostuser interface
with its mode, reconnect and queues) and changes only what this machine
needs: the name, the socket path, no KVM (domain type qemu, the maximum CPU
model), direct kernel boot instead of a disk, a console log file, a boot
script through fw_cfg, no option ROM, and vectors=0 on the NIC (QEMU 7.2
with TCG crashes starting a vhost-user NIC with MSI-X).
"""
import sys
import xml.etree.ElementTree as ET

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
NIC_ALIAS = "ua-net0"


def child(parent, tag, **attrib):
    """Append and return a new element."""
    return ET.SubElement(parent, tag, attrib)


def set_os(dom, kernel, initrd, cmdline):
    """Direct kernel boot, keeping the example's <type>."""
    os_el = dom.find("os")
    for el in list(os_el):
        if el.tag != "type":
            os_el.remove(el)
    child(os_el, "kernel").text = kernel
    child(os_el, "initrd").text = initrd
    child(os_el, "cmdline").text = cmdline


def set_devices(dom, socket, console):
    """Drop disks and pty consoles, point the NIC at SOCKET, log the console."""
    devices = dom.find("devices")
    for el in list(devices):
        if el.tag in ("disk", "serial", "console"):
            devices.remove(el)
    nics = devices.findall("interface[@type='vhostuser']")
    if len(nics) != 1:
        sys.exit("expected exactly one vhostuser interface")
    nic = nics[0]
    nic.find("source").set("path", socket)
    child(nic, "alias", name=NIC_ALIAS)
    child(nic, "rom", enabled="no")
    serial = child(devices, "serial", type="file")
    child(serial, "source", path=console)
    child(serial, "target", port="0")


def add_overrides(dom, script):
    """vectors=0 on the NIC and the boot script in fw_cfg."""
    over = child(dom, f"{{{QEMU_NS}}}override")
    dev = child(over, f"{{{QEMU_NS}}}device", alias=NIC_ALIAS)
    front = child(dev, f"{{{QEMU_NS}}}frontend")
    child(front, f"{{{QEMU_NS}}}property", name="vectors", type="unsigned", value="0")
    sysinfo = child(dom, "sysinfo", type="fwcfg")
    child(sysinfo, "entry", name="opt/vuring/script", file=script)


def main():
    src, out, name, kernel, initrd, cmdline, socket, console, script = sys.argv[1:10]
    ET.register_namespace("qemu", QEMU_NS)
    tree = ET.parse(src)
    dom = tree.getroot()
    dom.set("type", "qemu")
    dom.find("name").text = name
    mem = dom.find("memory")
    mem.set("unit", "MiB")
    mem.text = "256"
    dom.find("vcpu").text = "1"
    cpu = dom.find("cpu")
    cpu.attrib.clear()
    cpu.set("mode", "maximum")
    set_os(dom, kernel, initrd, cmdline)
    set_devices(dom, socket, console)
    add_overrides(dom, script)
    tree.write(out, encoding="unicode")


if __name__ == "__main__":
    main()
