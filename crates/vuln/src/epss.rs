//! FIRST's EPSS scores (Exploit Prediction Scoring System): the daily CSV
//! (`epss_scores-YYYY-MM-DD.csv`), whose first line is a comment naming the model and the
//! score date (`#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000`), then a
//! header `cve,epss,percentile`, then one row per CVE with the probability of exploitation
//! in the next 30 days and its percentile, both 0–1.

/// One CVE's score.
#[derive(Debug, Clone, PartialEq)]
pub struct EpssScore {
    pub cve: String,
    pub epss: f64,
    pub percentile: f64,
}

/// The file's model version and score date (from its comment line, when it has one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpssMeta {
    pub model_version: Option<String>,
    pub score_date: Option<String>,
}

/// A bad line: its number (1-based) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpssError {
    pub line: usize,
    pub message: String,
}

/// Whether `text` looks like an EPSS file: its first non-comment line is the header.
pub fn is_epss(text: &str) -> bool {
    text.lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .is_some_and(|h| h.trim().eq_ignore_ascii_case("cve,epss,percentile"))
}

/// Reads an EPSS CSV; a row that does not read is an error naming its line.
pub fn read(text: &str) -> Result<(EpssMeta, Vec<EpssScore>), EpssError> {
    let mut meta = EpssMeta::default();
    let mut out = Vec::new();
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            for part in comment.split(',') {
                match part.split_once(':') {
                    Some(("model_version", v)) => meta.model_version = Some(v.trim().into()),
                    Some(("score_date", v)) => meta.score_date = Some(v.trim().into()),
                    _ => {}
                }
            }
            continue;
        }
        if !header_seen {
            if !line.eq_ignore_ascii_case("cve,epss,percentile") {
                return Err(EpssError {
                    line: n,
                    message: format!("expected the header cve,epss,percentile, found {line:?}"),
                });
            }
            header_seen = true;
            continue;
        }
        let mut cols = line.split(',');
        let (Some(cve), Some(epss), Some(pct), None) =
            (cols.next(), cols.next(), cols.next(), cols.next())
        else {
            return Err(EpssError {
                line: n,
                message: "expected three columns: cve,epss,percentile".into(),
            });
        };
        let prob = |s: &str, what: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| (0.0..=1.0).contains(v))
                .ok_or_else(|| EpssError {
                    line: n,
                    message: format!("{what} {s:?} is not a number from 0 to 1"),
                })
        };
        let cve = cve.trim();
        if !cve.starts_with("CVE-") {
            return Err(EpssError {
                line: n,
                message: format!("{cve:?} is not a CVE id"),
            });
        }
        out.push(EpssScore {
            cve: cve.to_string(),
            epss: prob(epss, "epss")?,
            percentile: prob(pct, "percentile")?,
        });
    }
    if !header_seen {
        return Err(EpssError {
            line: 1,
            message: "no cve,epss,percentile header".into(),
        });
    }
    Ok((meta, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000\n\
                        cve,epss,percentile\n\
                        CVE-2023-30559,0.00043,0.11234\n\
                        CVE-2021-44228,0.94358,0.99967\n";

    #[test]
    fn the_documented_format_reads() {
        assert!(is_epss(FILE));
        let (meta, scores) = read(FILE).unwrap();
        assert_eq!(meta.model_version.as_deref(), Some("v2025.03.14"));
        assert_eq!(meta.score_date.as_deref(), Some("2025-08-25T00:00:00+0000"));
        assert_eq!(scores.len(), 2);
        assert_eq!(scores[1].cve, "CVE-2021-44228");
        assert!((scores[1].epss - 0.94358).abs() < 1e-9);
    }

    #[test]
    fn bad_rows_name_their_line() {
        let bad = format!("{FILE}CVE-2020-0001,1.5,0.2\n");
        assert_eq!(read(&bad).unwrap_err().line, 5);
        let bad = format!("{FILE}nonsense,0.1,0.2\n");
        assert_eq!(read(&bad).unwrap_err().line, 5);
        assert!(!is_epss("cve,score\nCVE-1,0.1\n"));
    }
}
