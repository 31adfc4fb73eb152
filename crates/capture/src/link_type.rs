//! Link-layer header types: the LINKTYPE_* registry shared by pcap and pcapng.

use std::borrow::Cow;
use std::fmt;

/// A link type number from the pcap/pcapng registry (LINKTYPE_*, tcpdump.org/linktypes.html).
///
/// Total: every value is representable; unknown values are kept, not errors.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct LinkType(pub u32);

macro_rules! link_types {
    ($( $(#[$doc:meta])* $konst:ident = $value:literal, $name:literal; )*) => {
        impl LinkType {
            $( $(#[$doc])* pub const $konst: Self = Self($value); )*

            /// Stable snake_case name: the registry's LINKTYPE_ name in lower case
            /// (`ethernet`, `linux_sll`, `ieee802_11_radiotap`), or `link_type_<n>`.
            pub fn name(&self) -> Cow<'static, str> {
                match self.0 {
                    $( $value => Cow::Borrowed($name), )*
                    n => Cow::Owned(format!("link_type_{n}")),
                }
            }
        }
    };
}

link_types! {
    /// BSD loopback: 4-byte address family in host byte order.
    NULL = 0, "null";
    /// IEEE 802.3 Ethernet.
    ETHERNET = 1, "ethernet";
    /// IEEE 802.5 Token Ring.
    IEEE802_5 = 6, "ieee802_5";
    /// SLIP with a 16-byte pseudo-header.
    SLIP = 8, "slip";
    /// PPP (RFC 1661), starting with the protocol field.
    PPP = 9, "ppp";
    /// FDDI.
    FDDI = 10, "fddi";
    /// PPP in HDLC-like framing (RFC 1662).
    PPP_HDLC = 50, "ppp_hdlc";
    /// PPPoE (RFC 2516).
    PPP_ETHER = 51, "ppp_ether";
    /// RFC 1483 LLC/SNAP-encapsulated ATM.
    ATM_RFC1483 = 100, "atm_rfc1483";
    /// Raw IPv4 or IPv6, version from the first nibble.
    RAW = 101, "raw";
    /// Cisco HDLC.
    C_HDLC = 104, "c_hdlc";
    /// IEEE 802.11 without a radio header.
    IEEE802_11 = 105, "ieee802_11";
    /// Linux Classical IP over ATM.
    ATM_CLIP = 106, "atm_clip";
    /// Frame Relay.
    FRELAY = 107, "frelay";
    /// OpenBSD loopback: 4-byte address family in network byte order.
    LOOP = 108, "loop";
    /// OpenBSD IPsec encapsulation.
    ENC = 109, "enc";
    /// Linux "cooked" capture v1.
    LINUX_SLL = 113, "linux_sll";
    /// OpenBSD pflog.
    PFLOG = 117, "pflog";
    /// 802.11 with a Prism header.
    IEEE802_11_PRISM = 119, "ieee802_11_prism";
    /// RFC 2625 IP over Fibre Channel.
    IP_OVER_FC = 122, "ip_over_fc";
    /// SunATM.
    SUNATM = 123, "sunatm";
    /// 802.11 with a radiotap header.
    IEEE802_11_RADIOTAP = 127, "ieee802_11_radiotap";
    /// Linux ARCNET.
    ARCNET_LINUX = 129, "arcnet_linux";
    /// Juniper ATM1 PIC.
    JUNIPER_ATM1 = 137, "juniper_atm1";
    /// SS7 MTP2.
    MTP2 = 140, "mtp2";
    /// Linux IrDA.
    LINUX_IRDA = 144, "linux_irda";
    /// 802.11 with an AVS header.
    IEEE802_11_AVS = 163, "ieee802_11_avs";
    /// Linux LAPD.
    LINUX_LAPD = 177, "linux_lapd";
    /// Juniper Ethernet.
    JUNIPER_ETHER = 178, "juniper_ether";
    /// Linux USB (48-byte header).
    USB_LINUX = 189, "usb_linux";
    /// Per-Packet Information header, then the packet.
    PPI = 192, "ppi";
    /// IEEE 802.15.4 with FCS.
    IEEE802_15_4_WITHFCS = 195, "ieee802_15_4_withfcs";
    /// Endace ERF.
    ERF = 197, "erf";
    /// Bluetooth HCI UART with a direction pseudo-header.
    BLUETOOTH_HCI_H4_WITH_PHDR = 201, "bluetooth_hci_h4_with_phdr";
    /// Linux USB (64-byte memory-mapped header).
    USB_LINUX_MMAPPED = 220, "usb_linux_mmapped";
    /// Solaris ipnet.
    IPNET = 226, "ipnet";
    /// Linux SocketCAN.
    CAN_SOCKETCAN = 227, "can_socketcan";
    /// Raw IPv4.
    IPV4 = 228, "ipv4";
    /// Raw IPv6.
    IPV6 = 229, "ipv6";
    /// IEEE 802.15.4 without FCS.
    IEEE802_15_4_NOFCS = 230, "ieee802_15_4_nofcs";
    /// D-Bus messages.
    DBUS = 231, "dbus";
    /// Linux netfilter NFLOG.
    NFLOG = 239, "nflog";
    /// IP over InfiniBand.
    IPOIB = 242, "ipoib";
    /// MPEG-2 transport stream.
    MPEG_2_TS = 243, "mpeg_2_ts";
    /// Bluetooth LE link layer.
    BLUETOOTH_LE_LL = 251, "bluetooth_le_ll";
    /// Wireshark's upper-PDU export.
    WIRESHARK_UPPER_PDU = 252, "wireshark_upper_pdu";
    /// Linux netlink.
    NETLINK = 253, "netlink";
    /// Apple PKTAP.
    PKTAP = 258, "pktap";
    /// Linux vsock.
    VSOCK = 271, "vsock";
    /// Nordic BLE sniffer.
    NORDIC_BLE = 272, "nordic_ble";
    /// 802.3br mPackets.
    ETHERNET_MPACKET = 274, "ethernet_mpacket";
    /// Linux "cooked" capture v2.
    LINUX_SLL2 = 276, "linux_sll2";
    /// Broadcom DSA tag after the MAC addresses.
    DSA_TAG_BRCM = 281, "dsa_tag_brcm";
    /// Broadcom DSA tag before the MAC addresses.
    DSA_TAG_BRCM_PREPEND = 282, "dsa_tag_brcm_prepend";
    /// Marvell DSA tag.
    DSA_TAG_DSA = 284, "dsa_tag_dsa";
    /// Marvell EDSA tag.
    DSA_TAG_EDSA = 285, "dsa_tag_edsa";
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_snake_case() {
        assert_eq!(LinkType::ETHERNET.name(), "ethernet");
        assert_eq!(LinkType::NULL.name(), "null");
        assert_eq!(LinkType::LOOP.name(), "loop");
        assert_eq!(LinkType::PPP.name(), "ppp");
        assert_eq!(LinkType::RAW.name(), "raw");
        assert_eq!(LinkType::IPV4.name(), "ipv4");
        assert_eq!(LinkType::IPV6.name(), "ipv6");
        assert_eq!(LinkType::LINUX_SLL.name(), "linux_sll");
        assert_eq!(LinkType::LINUX_SLL2.name(), "linux_sll2");
        assert_eq!(LinkType::IEEE802_11.name(), "ieee802_11");
        assert_eq!(LinkType::IEEE802_11_RADIOTAP.name(), "ieee802_11_radiotap");
        assert_eq!(LinkType::PPI.name(), "ppi");
        assert_eq!(LinkType::NFLOG.name(), "nflog");
        assert_eq!(LinkType(147).name(), "link_type_147");
        assert_eq!(LinkType(0x0300_0000).to_string(), "link_type_50331648");
    }

    #[test]
    fn constants_match_registry_numbers() {
        assert_eq!(LinkType::LINUX_SLL2, LinkType(276));
        assert_eq!(LinkType::IEEE802_11_RADIOTAP, LinkType(127));
        assert_eq!(LinkType::ETHERNET_MPACKET, LinkType(274));
    }
}
