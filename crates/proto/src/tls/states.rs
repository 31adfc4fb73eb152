//! The handshake as seen from the wire: an explicit transition table over (state, message,
//! side) with an absorbing [`State::Invalid`] (tls-parser's `tls_states.rs` shape). Only
//! cleartext messages reach it: a side's handshake records after its ChangeCipherSpec are
//! ciphertext and are not messages. Alerts and HelloRequest may come at any time and do not
//! change the state.

use model::Side;

/// Where the handshake is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum State {
    /// Nothing seen yet.
    #[default]
    Start,
    /// ClientHello sent, no server answer yet.
    ClientHello,
    /// The server asked for another ClientHello (RFC 8446 §4.1.4).
    HelloRetryRequest,
    /// The second ClientHello, after a HelloRetryRequest.
    ClientHelloRetried,
    /// A TLS ≤ 1.2 ServerHello.
    ServerHello,
    /// The server's Certificate (RFC 5246 §7.4.2).
    Certificate,
    /// ServerKeyExchange (RFC 5246 §7.4.3).
    ServerKeyExchange,
    /// CertificateRequest (RFC 5246 §7.4.4).
    CertificateRequest,
    /// ServerHelloDone (RFC 5246 §7.4.5): the server's first flight is complete.
    ServerHelloDone,
    /// ClientKeyExchange (RFC 5246 §7.4.7).
    ClientKeyExchange,
    /// The client switched to encryption (full handshake).
    ClientChangeCipherSpec,
    /// The server switched to encryption first (abbreviated handshake, RFC 5246 §7.3 fig. 2).
    ServerChangeCipherSpec,
    /// Both sides encrypt (RFC 5246 §7.3 "Application Data").
    Established,
    /// A TLS 1.3 ServerHello: everything after it is encrypted (RFC 8446 §2).
    Tls13,
    /// A message that no handshake allows here: absorbing.
    Invalid,
}

/// The messages the table knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Msg {
    /// RFC 8446 §4.1.2.
    ClientHello,
    /// A ServerHello selecting TLS 1.2 or lower.
    ServerHello,
    /// A ServerHello selecting TLS 1.3 (supported_versions, RFC 8446 §4.2.1).
    ServerHello13,
    /// A ServerHello with the HelloRetryRequest random (RFC 8446 §4.1.3).
    HelloRetryRequest,
    /// Certificate (either side).
    Certificate,
    /// CertificateStatus (RFC 6066 §8).
    CertificateStatus,
    /// ServerKeyExchange.
    ServerKeyExchange,
    /// CertificateRequest.
    CertificateRequest,
    /// ServerHelloDone.
    ServerHelloDone,
    /// ClientKeyExchange.
    ClientKeyExchange,
    /// CertificateVerify (RFC 5246 §7.4.8).
    CertificateVerify,
    /// NewSessionTicket (RFC 5077 §3.3).
    NewSessionTicket,
    /// A ChangeCipherSpec record (RFC 5246 §7.1).
    ChangeCipherSpec,
    /// An application_data record.
    ApplicationData,
    /// Any other handshake type in cleartext.
    Other,
}

impl State {
    /// The transition table: one row per legal step.
    pub(crate) fn next(self, msg: Msg, side: Side) -> State {
        use Msg as M;
        use Side::{Client as C, Server as S};
        use State::*;
        match (self, msg, side) {
            (Invalid, _, _) => Invalid,

            // RFC 8446 §2 / RFC 5246 §7.3: the client speaks first...
            (Start, M::ClientHello, C) => ClientHello,
            // ...unless the capture starts mid-handshake or sees only the server.
            (Start, M::ServerHello, S) => ServerHello,
            (Start, M::ServerHello13, S) => Tls13,
            (Start, M::HelloRetryRequest, S) => HelloRetryRequest,

            // RFC 8446 appendix D.4 (middlebox compatibility CCS) and §4.2.10 (0-RTT data).
            (ClientHello, M::ChangeCipherSpec | M::ApplicationData, C) => ClientHello,
            (ClientHello, M::ServerHello, S) => ServerHello,
            (ClientHello, M::ServerHello13, S) => Tls13,
            (ClientHello, M::HelloRetryRequest, S) => HelloRetryRequest,

            // RFC 8446 §4.1.4: after a HelloRetryRequest, a new ClientHello; appendix D.4:
            // either side may send its dummy CCS here.
            (HelloRetryRequest, M::ChangeCipherSpec, _) => HelloRetryRequest,
            (HelloRetryRequest, M::ClientHello, C) => ClientHelloRetried,
            (ClientHelloRetried, M::ChangeCipherSpec, C) => ClientHelloRetried,
            (ClientHelloRetried, M::ServerHello13, S) => Tls13,

            // RFC 5246 §7.3 figure 1: the server's first flight.
            (ServerHello, M::Certificate, S) => Certificate,
            (ServerHello, M::ServerKeyExchange, S) => ServerKeyExchange, // anonymous / PSK
            (ServerHello, M::ServerHelloDone, S) => ServerHelloDone,     // RFC 4279 PSK
            (Certificate, M::CertificateStatus, S) => Certificate,       // RFC 6066 §8
            (Certificate, M::ServerKeyExchange, S) => ServerKeyExchange,
            (Certificate | ServerKeyExchange, M::CertificateRequest, S) => CertificateRequest,
            (Certificate | ServerKeyExchange | CertificateRequest, M::ServerHelloDone, S) => {
                ServerHelloDone
            }
            // The client's second flight.
            (ServerHelloDone, M::Certificate, C) => ServerHelloDone,
            (ServerHelloDone, M::ClientKeyExchange, C) => ClientKeyExchange,
            (ClientKeyExchange, M::CertificateVerify, C) => ClientKeyExchange,
            (ClientKeyExchange, M::ChangeCipherSpec, C) => ClientChangeCipherSpec,
            // RFC 7918 False Start: client data before the server's Finished.
            (ClientChangeCipherSpec, M::ApplicationData, C) => ClientChangeCipherSpec,
            (ClientChangeCipherSpec, M::NewSessionTicket, S) => ClientChangeCipherSpec,
            (ClientChangeCipherSpec, M::ChangeCipherSpec, S) => Established,

            // RFC 5246 §7.3 figure 2 / RFC 5077 §3.1: abbreviated (resumed) handshake.
            (ServerHello, M::NewSessionTicket, S) => ServerHello,
            (ServerHello, M::ChangeCipherSpec, S) => ServerChangeCipherSpec,
            (ServerChangeCipherSpec, M::ApplicationData, S) => ServerChangeCipherSpec,
            (ServerChangeCipherSpec, M::ChangeCipherSpec, C) => Established,

            (Established, M::ApplicationData, _) => Established,
            // RFC 8446 §5: after the ServerHello every record is protected; D.4 dummy CCSs.
            (Tls13, M::ChangeCipherSpec | M::ApplicationData, _) => Tls13,

            _ => Invalid,
        }
    }

    /// True once the server's cleartext part is over: nothing more to learn from the flow.
    pub(crate) fn server_done(self) -> bool {
        matches!(
            self,
            State::ServerHelloDone
                | State::ClientKeyExchange
                | State::ClientChangeCipherSpec
                | State::ServerChangeCipherSpec
                | State::Established
                | State::Tls13
        )
    }
}
