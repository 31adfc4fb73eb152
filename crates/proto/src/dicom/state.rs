//! The association as a passive observer sees it (PS3.8 §9.2, the state machine of Table
//! 9-10, folded to what both directions show): an explicit transition table over
//! (state, PDU type, sending side), one row per legal step, with an absorbing `Invalid` state
//! (tls-parser's `tls_states.rs` shape).

use model::Side;

use super::pdu::PduType;

/// Where the association is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum State {
    /// Nothing seen yet.
    #[default]
    Idle,
    /// A-ASSOCIATE-RQ seen from the client, awaiting the answer (Sta5 of PS3.8 Table 9-10).
    Requested,
    /// A-ASSOCIATE-AC seen: data transfer (Sta6).
    Established,
    /// A-RELEASE-RQ seen from this side, awaiting A-RELEASE-RP (Sta7; the other side may
    /// still send P-DATA, PS3.8 §7.2.2).
    Releasing(Side),
    /// Released, rejected or aborted: nothing more is expected.
    Closed,
    /// A PDU arrived that no row allows: absorbing.
    Invalid,
}

/// The state after `pdu` from `side` in `state`; `Invalid` for anything not in the table.
pub(crate) fn next(state: State, pdu: PduType, side: Side) -> State {
    use State::*;
    match (state, pdu, side) {
        // PS3.8 §9.2 AE-2/AE-6: the requestor (the TCP client) opens the association.
        (Idle, PduType::ASSOCIATE_RQ, Side::Client) => Requested,
        // Mid-stream pickup: the capture started after the A-ASSOCIATE-RQ.
        (Idle, PduType::ASSOCIATE_AC, Side::Server) => Established,
        (Idle, PduType::ASSOCIATE_RJ, Side::Server) => Closed,
        // AE-3 / AE-4: the acceptor answers.
        (Requested, PduType::ASSOCIATE_AC, Side::Server) => Established,
        (Requested, PduType::ASSOCIATE_RJ, Side::Server) => Closed,
        // DT-1/DT-2: data transfer in either direction.
        (Established, PduType::P_DATA_TF, _) => Established,
        // AR-1/AR-2: either side may ask to release.
        (Established, PduType::RELEASE_RQ, s) => Releasing(s),
        // AR-7: the side that did not ask may still send data.
        (Releasing(by), PduType::P_DATA_TF, s) if s != by => Releasing(by),
        // AR-8: release collision (both asked).
        (Releasing(by), PduType::RELEASE_RQ, s) if s != by => Releasing(by),
        // AR-3/AR-4: the other side confirms.
        (Releasing(_), PduType::RELEASE_RP, _) => Closed,
        // AA-1..AA-8: either side may abort at any time.
        (Idle | Requested | Established | Releasing(_), PduType::ABORT, _) => Closed,
        (Invalid, _, _) => Invalid,
        _ => Invalid,
    }
}
