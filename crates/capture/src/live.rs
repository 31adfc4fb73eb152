//! A live interface read through a Linux `AF_PACKET` socket with a `TPACKET_V3` receive ring
//! (packet(7); Documentation/networking/packet_mmap.rst in the kernel tree).
//!
//! Why this and not libpcap: libpcap on Linux reads this very ring, so it would add no speed,
//! only a C library every build would have to find (`libpcap-dev`), and the README promises a
//! build from a fresh machine with cargo alone. The ring is zero-copy: the kernel writes frames
//! into blocks of memory shared with us, hands a block over when it is full or its retire
//! timer fires, and takes it back when we mark it free, so a burst waits in the ring, not in
//! a socket queue. `PACKET_STATISTICS` reports what the kernel dropped when the ring was full.
//!
//! This is the only module in wardline with `unsafe`: the ring is memory the kernel writes
//! into, and the socket calls have no safe wrapper in std. Each block says what it relies on.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use model::{Timestamp, TsPrecision};

use crate::{Frame, LinkType};

/// `ARPHRD_*` hardware types (include/uapi/linux/if_arp.h) a live source reads.
const ARPHRD_ETHER: u16 = 1;
const ARPHRD_LOOPBACK: u16 = 772;

/// The 802.1Q tag protocol identifier, used when the kernel stripped a tag without saying
/// which (IEEE 802.1Q §9.5).
const TPID_8021Q: u16 = 0x8100;

/// Size and timing of the receive ring.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LiveConfig {
    /// Bytes per ring block: a power of two, a multiple of the page size, and larger than
    /// the largest frame (1 MiB holds ~700 full-size Ethernet frames).
    pub block_size: u32,
    /// Blocks in the ring (64 × 1 MiB: about half a second of a saturated 1 Gbit/s link
    /// while the reader is busy elsewhere).
    pub block_count: u32,
    /// How long the kernel waits before handing over a block that is not yet full, ms: the
    /// most a frame waits on a quiet link.
    pub block_timeout_ms: u32,
    /// Put the interface in promiscuous mode for as long as the socket is open (a SPAN or
    /// mirror port delivers frames addressed to other stations).
    pub promiscuous: bool,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            block_size: 1 << 20,
            block_count: 64,
            block_timeout_ms: 50,
            promiscuous: true,
        }
    }
}

/// Counters the kernel keeps for the socket (`PACKET_STATISTICS`), summed since it opened.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct LiveStats {
    /// Frames the kernel received for the socket, including those it dropped.
    pub received: u64,
    /// Frames dropped because the ring was full (the reader fell behind).
    pub dropped: u64,
    /// Times the ring was frozen full.
    pub freezes: u64,
}

/// Why a live source could not be opened or read.
#[derive(Debug, thiserror::Error)]
#[error("{interface}: {action}: {source}{hint}")]
pub struct LiveError {
    /// The interface.
    pub interface: String,
    /// What was being done.
    pub action: &'static str,
    /// The system's error.
    #[source]
    pub source: io::Error,
    hint: &'static str,
}

impl LiveError {
    fn new(interface: &str, action: &'static str, source: io::Error) -> Self {
        let hint = if source.kind() == io::ErrorKind::PermissionDenied {
            " (capturing needs CAP_NET_RAW and CAP_NET_ADMIN: run as root or grant them with \
             `setcap cap_net_raw,cap_net_admin+ep` on the wardline binary)"
        } else {
            ""
        };
        Self {
            interface: interface.to_owned(),
            action,
            source,
            hint,
        }
    }
}

/// Where the reader is inside a block the kernel handed over.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    /// Frames of the block not yet read.
    remaining: u32,
    /// Offset of the next frame header from the block's start.
    offset: usize,
}

/// A live interface, read frame by frame from its receive ring.
#[derive(Debug)]
pub struct LiveSource {
    interface: String,
    socket: OwnedFd,
    ring: Ring,
    block_size: usize,
    block_count: usize,
    /// The block read next (or being read).
    block: usize,
    cursor: Option<Cursor>,
    link_type: LinkType,
    /// A frame whose VLAN tag the kernel moved into the frame header, with the tag put back.
    retagged: Vec<u8>,
    stats: LiveStats,
    /// Times the socket reported the interface down.
    link_down_events: u64,
}

/// The mapped ring; unmapped on drop.
#[derive(Debug)]
struct Ring {
    base: *mut u8,
    len: usize,
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: `base` and `len` are exactly what mmap returned, and nothing borrows the
        // ring any more (frames borrow the LiveSource that owns it).
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}

fn last_error(interface: &str, action: &'static str) -> LiveError {
    LiveError::new(interface, action, io::Error::last_os_error())
}

fn setsockopt<T>(
    socket: &OwnedFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
    interface: &str,
    action: &'static str,
) -> Result<(), LiveError> {
    // SAFETY: `value` points to a live, initialised T of the size passed.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(last_error(interface, action))
    }
}

impl LiveSource {
    /// Opens `interface` for capture: a packet socket bound to it, a TPACKET_V3 ring mapped.
    pub fn open(interface: &str, config: LiveConfig) -> Result<Self, LiveError> {
        let invalid =
            |action, msg: &str| LiveError::new(interface, action, io::Error::other(msg.to_owned()));
        let name = CString::new(interface)
            .map_err(|_| invalid("reading the interface name", "it contains a NUL byte"))?;
        // SAFETY: `name` is a valid NUL-terminated string.
        let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if index == 0 {
            return Err(last_error(interface, "finding the interface"));
        }
        let protocol = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: plain socket(2) call; the descriptor is owned at once.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(protocol)) };
        if fd < 0 {
            return Err(last_error(interface, "opening a packet socket"));
        }
        // SAFETY: `fd` is a new descriptor nothing else owns.
        let socket = unsafe { OwnedFd::from_raw_fd(fd) };

        let version = libc::tpacket_versions::TPACKET_V3 as libc::c_int;
        setsockopt(
            &socket,
            libc::SOL_PACKET,
            libc::PACKET_VERSION,
            &version,
            interface,
            "selecting TPACKET_V3",
        )?;
        let page = 4096u32;
        if !config.block_size.is_power_of_two() || config.block_size < page {
            return Err(invalid(
                "sizing the ring",
                "the block size must be a power of two of at least 4096 bytes",
            ));
        }
        let block_count = config.block_count.max(2);
        // Frame size only matters to TPACKET_V1/V2; V3 packs frames of any size into blocks,
        // but the kernel still checks frame_nr × frame_size = the ring's size.
        let frame_size = 2048u32;
        let request = libc::tpacket_req3 {
            tp_block_size: config.block_size,
            tp_block_nr: block_count,
            tp_frame_size: frame_size,
            tp_frame_nr: config.block_size / frame_size * block_count,
            tp_retire_blk_tov: config.block_timeout_ms.max(1),
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        setsockopt(
            &socket,
            libc::SOL_PACKET,
            libc::PACKET_RX_RING,
            &request,
            interface,
            "setting up the receive ring",
        )?;
        let len = config.block_size as usize * block_count as usize;
        // SAFETY: maps the ring the kernel just allocated for this socket; the result is
        // checked, and unmapped by `Ring::drop`.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                socket.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(last_error(interface, "mapping the receive ring"));
        }
        let ring = Ring {
            base: base.cast(),
            len,
        };

        // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
        let mut address: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        address.sll_family = libc::AF_PACKET as u16;
        address.sll_protocol = protocol;
        address.sll_ifindex = index as libc::c_int;
        // SAFETY: `address` is a valid sockaddr_ll of the size passed.
        let rc = unsafe {
            libc::bind(
                socket.as_raw_fd(),
                (&address as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(last_error(interface, "binding to the interface"));
        }
        // The bound address says which hardware type the interface has.
        let mut bound: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut bound_len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: `bound` is writable and `bound_len` its size.
        let rc = unsafe {
            libc::getsockname(
                socket.as_raw_fd(),
                (&mut bound as *mut libc::sockaddr_ll).cast(),
                &mut bound_len,
            )
        };
        if rc != 0 {
            return Err(last_error(
                interface,
                "reading the interface's hardware type",
            ));
        }
        let link_type = match bound.sll_hatype {
            ARPHRD_ETHER | ARPHRD_LOOPBACK => LinkType::ETHERNET,
            other => {
                return Err(invalid(
                    "reading the interface's hardware type",
                    &format!(
                        "hardware type {other} (if_arp.h) is not Ethernet; the live sensor \
                         reads Ethernet interfaces (a SPAN port, a TAP, a bridge or a veth)"
                    ),
                ));
            }
        };
        if config.promiscuous {
            // SAFETY: packet_mreq is plain data; all-zero is a valid value.
            let mut membership: libc::packet_mreq = unsafe { std::mem::zeroed() };
            membership.mr_ifindex = index as libc::c_int;
            membership.mr_type = libc::PACKET_MR_PROMISC as u16;
            setsockopt(
                &socket,
                libc::SOL_PACKET,
                libc::PACKET_ADD_MEMBERSHIP,
                &membership,
                interface,
                "entering promiscuous mode",
            )?;
        }
        let mut source = Self {
            interface: interface.to_owned(),
            socket,
            ring,
            block_size: config.block_size as usize,
            block_count: block_count as usize,
            block: 0,
            cursor: None,
            link_type,
            retagged: Vec::with_capacity(2048),
            stats: LiveStats::default(),
            link_down_events: 0,
        };
        // Counters read now start from zero: frames seen before the ring existed are not ours.
        source.stats()?;
        source.stats = LiveStats::default();
        Ok(source)
    }

    /// Times the interface was reported down since the source opened (the source waits for
    /// it to come back instead of failing).
    pub fn link_down_events(&self) -> u64 {
        self.link_down_events
    }

    /// The interface's name.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// Timestamps of a live source are nanoseconds (TPACKET_V3 reports `tp_nsec`).
    pub fn precision(&self) -> TsPrecision {
        TsPrecision::Nano
    }

    /// The block descriptor's status word, which the kernel and the reader hand back and
    /// forth (packet_mmap.rst: "TP_STATUS_USER … TP_STATUS_KERNEL").
    fn block_status(&self, block: usize) -> &AtomicU32 {
        // SAFETY: the block lies inside the mapping, block descriptors start block-aligned
        // (so the u32 at offset 8 is aligned), and the kernel writes the word only while it
        // owns the block; an atomic view makes each hand-over a synchronising load or store.
        unsafe {
            let desc = self.ring.base.add(block * self.block_size) as *mut libc::tpacket_block_desc;
            AtomicU32::from_ptr(std::ptr::addr_of_mut!((*desc).hdr.bh1.block_status))
        }
    }

    /// The next frame, waiting up to `timeout` for one; `Ok(None)` when none came (or a
    /// signal interrupted the wait). The frame is valid until the next call.
    pub fn next_frame(&mut self, timeout: Duration) -> Result<Option<Frame<'_>>, LiveError> {
        let mut waited = false;
        loop {
            if let Some(cursor) = self.cursor.as_mut() {
                if cursor.remaining > 0 {
                    let block_start = self.block * self.block_size;
                    let offset = cursor.offset;
                    // SAFETY: the kernel handed this block over (TP_STATUS_USER seen with
                    // acquire ordering) and will not write it until it is released; frame
                    // headers lie inside the block at offsets the kernel wrote.
                    let header = unsafe {
                        std::ptr::read_unaligned(
                            self.ring.base.add(block_start + offset) as *const libc::tpacket3_hdr
                        )
                    };
                    cursor.remaining -= 1;
                    cursor.offset += header.tp_next_offset as usize;
                    let start = offset + usize::from(header.tp_mac);
                    let snap = header.tp_snaplen as usize;
                    if start + snap > self.block_size {
                        // A frame the kernel says runs past its block: never expected, skipped.
                        continue;
                    }
                    // SAFETY: bounds checked just above against the block, which we own.
                    let data = unsafe {
                        std::slice::from_raw_parts(self.ring.base.add(block_start + start), snap)
                    };
                    let ts = Timestamp(
                        i64::from(header.tp_sec) * 1_000_000_000 + i64::from(header.tp_nsec),
                    );
                    let data =
                        if header.tp_status & libc::TP_STATUS_VLAN_VALID != 0 && data.len() >= 12 {
                            // The kernel (or the NIC) took the 802.1Q tag out of the frame; zones
                            // are read from VLANs, so it goes back where it was (as libpcap does).
                            let tpid = if header.tp_status & libc::TP_STATUS_VLAN_TPID_VALID != 0 {
                                header.hv1.tp_vlan_tpid
                            } else {
                                TPID_8021Q
                            };
                            let tci = header.hv1.tp_vlan_tci as u16;
                            self.retagged.clear();
                            self.retagged.extend_from_slice(&data[..12]);
                            self.retagged.extend_from_slice(&tpid.to_be_bytes());
                            self.retagged.extend_from_slice(&tci.to_be_bytes());
                            self.retagged.extend_from_slice(&data[12..]);
                            &self.retagged[..]
                        } else {
                            data
                        };
                    let original_len = header.tp_len + if data.len() > snap { 4 } else { 0 };
                    return Ok(Some(Frame {
                        ts,
                        link_type: self.link_type,
                        interface: 0,
                        data,
                        original_len,
                    }));
                }
                // Every frame of the block was read: it goes back to the kernel.
                self.block_status(self.block)
                    .store(libc::TP_STATUS_KERNEL, Ordering::Release);
                self.block = (self.block + 1) % self.block_count;
                self.cursor = None;
            }
            if self.block_status(self.block).load(Ordering::Acquire) & libc::TP_STATUS_USER != 0 {
                // SAFETY: the block is ours now (acquire load above); its descriptor is read
                // once, before any frame.
                let desc = unsafe {
                    std::ptr::read_unaligned(self.ring.base.add(self.block * self.block_size)
                        as *const libc::tpacket_block_desc)
                };
                // SAFETY: TPACKET_V3 blocks carry the bh1 variant (the only one).
                let header = unsafe { desc.hdr.bh1 };
                self.cursor = Some(Cursor {
                    remaining: header.num_pkts,
                    offset: header.offset_to_first_pkt as usize,
                });
                continue;
            }
            if waited {
                return Ok(None);
            }
            let mut poll = libc::pollfd {
                fd: self.socket.as_raw_fd(),
                events: libc::POLLIN | libc::POLLERR,
                revents: 0,
            };
            let millis = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
            // SAFETY: one valid pollfd.
            let rc = unsafe { libc::poll(&mut poll, 1, millis) };
            if rc < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    return Ok(None);
                }
                return Err(LiveError::new(&self.interface, "waiting for frames", e));
            }
            if poll.revents & libc::POLLERR != 0 {
                // A pending socket error (the interface went down): read and report it.
                let mut code: libc::c_int = 0;
                let mut len = size_of::<libc::c_int>() as libc::socklen_t;
                // SAFETY: `code` is writable and `len` its size.
                unsafe {
                    libc::getsockopt(
                        self.socket.as_raw_fd(),
                        libc::SOL_SOCKET,
                        libc::SO_ERROR,
                        (&mut code as *mut libc::c_int).cast(),
                        &mut len,
                    );
                }
                if code == libc::ENETDOWN {
                    // The link went down (a cable, a switch port, `ip link set down`): frames
                    // come again when it is back up, on the same socket.
                    self.link_down_events += 1;
                    std::thread::sleep(timeout);
                    return Ok(None);
                }
                if code != 0 {
                    return Err(LiveError::new(
                        &self.interface,
                        "reading frames",
                        io::Error::from_raw_os_error(code),
                    ));
                }
            }
            waited = true;
        }
    }

    /// The kernel's counters for this socket, summed since it opened (reading them resets
    /// the kernel's copy, so they are accumulated here).
    pub fn stats(&mut self) -> Result<LiveStats, LiveError> {
        // SAFETY: tpacket_stats_v3 is plain data; all-zero is a valid value.
        let mut raw: libc::tpacket_stats_v3 = unsafe { std::mem::zeroed() };
        let mut len = size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
        // SAFETY: `raw` is writable and `len` its size.
        let rc = unsafe {
            libc::getsockopt(
                self.socket.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut raw as *mut libc::tpacket_stats_v3).cast(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(last_error(
                &self.interface,
                "reading the kernel's drop counters",
            ));
        }
        // tp_packets counts every frame the socket saw, dropped ones included (packet(7)).
        self.stats.received += u64::from(raw.tp_packets);
        self.stats.dropped += u64::from(raw.tp_drops);
        self.stats.freezes += u64::from(raw.tp_freeze_q_cnt);
        Ok(self.stats)
    }
}

// SAFETY: the ring pointer is owned by the LiveSource (like a Vec's buffer); moving the source
// to another thread moves the only handle to it.
unsafe impl Send for LiveSource {}
