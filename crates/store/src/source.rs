//! Which analysis a batch of devices came from, so re-merging it never double-counts.

use model::Timestamp;

/// One capture file an analysis read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureInput {
    /// Path as given on the command line; recorded for people, not part of the identity.
    pub path: String,
    /// File size in bytes.
    pub size: u64,
    /// SHA-256 of the file's bytes, hex, when the caller computed it.
    pub sha256: Option<String>,
    /// Timestamp of the first packet, if there was one.
    pub first_ts: Option<Timestamp>,
}

impl CaptureInput {
    /// What identifies this capture's content: its SHA-256 when known, else its size and first
    /// packet time. The path is left out so that a moved or copied capture is recognised.
    pub fn identity(&self) -> String {
        match &self.sha256 {
            Some(sha) => format!("sha256:{}", sha.trim().to_ascii_lowercase()),
            None => match self.first_ts {
                Some(ts) => format!("size:{},first_ts:{}", self.size, ts.0),
                None => format!("size:{},first_ts:none", self.size),
            },
        }
    }
}

/// The analysis whose devices are merged: the capture files it read together.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AnalysisSource {
    /// Every input of the run, in any order.
    pub inputs: Vec<CaptureInput>,
    /// Each merge adds to the source's share instead of replacing it: a live sensor stores
    /// what it saw since its last flush under one source for the whole session, so the
    /// counters grow with the traffic and re-merging never happens.
    pub accumulate: bool,
}

impl AnalysisSource {
    /// An analysis of one capture file.
    pub fn single(input: CaptureInput) -> Self {
        Self {
            inputs: vec![input],
            accumulate: false,
        }
    }

    /// Identity of the run: its inputs' identities, sorted and deduplicated, joined by `|`.
    /// Empty when there are no inputs (which [`crate::Store::merge_devices`] refuses).
    pub fn fingerprint(&self) -> String {
        let mut ids: Vec<String> = self.inputs.iter().map(CaptureInput::identity).collect();
        ids.sort();
        ids.dedup();
        ids.join("|")
    }

    /// The inputs' paths joined by `, `, for the record.
    pub(crate) fn paths(&self) -> String {
        self.inputs
            .iter()
            .map(|i| i.path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(path: &str, size: u64, sha: Option<&str>, first: Option<i64>) -> CaptureInput {
        CaptureInput {
            path: path.into(),
            size,
            sha256: sha.map(Into::into),
            first_ts: first.map(Timestamp),
        }
    }

    #[test]
    fn fingerprint_ignores_path_and_order() {
        let a = AnalysisSource {
            inputs: vec![
                input("/a/x.pcap", 10, None, Some(5)),
                input("y.pcap", 20, Some("ABCD"), None),
            ],
            accumulate: false,
        };
        let b = AnalysisSource {
            inputs: vec![
                input("copy/y.pcap", 99, Some("abcd"), Some(1)),
                input("x-renamed.pcap", 10, None, Some(5)),
            ],
            accumulate: false,
        };
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint(), "sha256:abcd|size:10,first_ts:5");
    }

    #[test]
    fn fingerprint_distinguishes_content() {
        let a = AnalysisSource::single(input("x.pcap", 10, None, Some(5)));
        let b = AnalysisSource::single(input("x.pcap", 10, None, Some(6)));
        let c = AnalysisSource::single(input("x.pcap", 11, None, Some(5)));
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
        assert_eq!(AnalysisSource::default().fingerprint(), "");
    }
}
