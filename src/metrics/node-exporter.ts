/**
 * What a real node_exporter exports that queries must leave out or add up with care; shared by the
 * answer catalogue and the anomaly features so both count the same devices.
 */

/** File systems that are not disks. */
export const FS_TYPE_EXCLUDE =
  'fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|autofs|fuse\\\\..*|proc|sysfs|iso9660"';

/**
 * Interfaces that would count traffic twice or are not real NICs: loopback, container and VM
 * bridges and veths, overlay tunnels, and ifb devices (traffic shaping mirrors another NIC's).
 */
export const NET_DEVICE_EXCLUDE =
  'device!~"lo|veth.*|docker.*|br-.*|virbr.*|cni.*|flannel.*|cali.*|tun.*|ifb.*"';

/**
 * Block devices that are not disks of their own: device-mapper and md volumes (their I/O is counted
 * again on the disks beneath), loop, ram, zram (compressed memory) and optical drives.
 */
export const DISK_DEVICE_EXCLUDE = 'device!~"dm-.*|loop.*|ram.*|zram.*|sr.*|md.*"';

/**
 * The per-device error and drop counters. `rate()` drops the metric name, so a regex over these
 * inside one sum collides on real data: each counter is aggregated on its own, then they are added.
 */
export const NET_ERROR_COUNTERS = [
  "node_network_receive_errs_total",
  "node_network_transmit_errs_total",
  "node_network_receive_drop_total",
  "node_network_transmit_drop_total",
] as const;
