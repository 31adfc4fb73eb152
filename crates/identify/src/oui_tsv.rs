//! The `kb/oui/oui.tsv` format: the registries, one row, and the parser. Std only: the build
//! script (`build.rs`) includes this file to parse and check the table once at build time
//! and compile it into static arrays; [`crate::OuiTable::parse`] uses it for other tables.

use std::fmt;

/// An IEEE registry that assigns MAC address blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Registry {
    /// MAC Address Block Large: a 24-bit prefix (the classic OUI).
    MaL,
    /// MAC Address Block Medium: a 28-bit prefix.
    MaM,
    /// MAC Address Block Small: a 36-bit prefix.
    MaS,
    /// Individual Address Block: a 36-bit prefix, the predecessor of MA-S (no longer sold).
    Iab,
}

impl Registry {
    /// The registry's name as IEEE writes it (`MA-L`, `MA-M`, `MA-S`, `IAB`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::MaL => "MA-L",
            Self::MaM => "MA-M",
            Self::MaS => "MA-S",
            Self::Iab => "IAB",
        }
    }

    /// How many leading bits of a MAC address the registry's assignments fix.
    pub const fn prefix_bits(self) -> u8 {
        match self {
            Self::MaL => 24,
            Self::MaM => 28,
            Self::MaS | Self::Iab => 36,
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "MA-L" => Some(Self::MaL),
            "MA-M" => Some(Self::MaM),
            "MA-S" => Some(Self::MaS),
            "IAB" => Some(Self::Iab),
            _ => None,
        }
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One row of the table; `prefix` holds the assigned bits right-aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Assignment<'a> {
    pub(crate) prefix: u64,
    pub(crate) registry: Registry,
    pub(crate) organization: &'a str,
}

/// Why a table text was rejected by [`OuiTable::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OuiParseError {
    /// 1-based line number, 0 for problems with the table as a whole.
    pub line: usize,
    /// What was wrong.
    pub reason: &'static str,
}

impl fmt::Display for OuiParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "OUI table: {}", self.reason)
        } else {
            write!(f, "OUI table line {}: {}", self.line, self.reason)
        }
    }
}

impl std::error::Error for OuiParseError {}

/// A parsed table: header fields and one vector per prefix length, sorted by prefix.
#[derive(Debug)]
pub(crate) struct ParsedTable<'a> {
    pub(crate) source: &'a str,
    pub(crate) generated: &'a str,
    pub(crate) bits24: Vec<Assignment<'a>>,
    pub(crate) bits28: Vec<Assignment<'a>>,
    pub(crate) bits36: Vec<Assignment<'a>>,
}

/// Parses a table in the `kb/oui/oui.tsv` format: `#` header lines, of which
/// `# source: …` and `# generated: …` are required, then one
/// `<prefix hex>\t<prefix bits>\t<registry>\t<organization>` line per assignment.
pub(crate) fn parse(text: &str) -> Result<ParsedTable<'_>, OuiParseError> {
    let mut source = None;
    let mut generated = None;
    // Sized for the 20220827 listings (32.5k MA-L, 4.4k MA-M, 9.6k MA-S + IAB) so that
    // parsing the embedded table does not regrow the vectors.
    let mut bits24 = Vec::with_capacity(40_000);
    let mut bits28 = Vec::with_capacity(6_000);
    let mut bits36 = Vec::with_capacity(12_000);
    for (index, line) in text.lines().enumerate() {
        let error = |reason| OuiParseError {
            line: index + 1,
            reason,
        };
        if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.trim();
            if let Some(value) = comment.strip_prefix("source:") {
                source = Some(value.trim());
            } else if let Some(value) = comment.strip_prefix("generated:") {
                generated = Some(value.trim());
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = line.split('\t');
        let (Some(hex), Some(bits), Some(registry), Some(organization), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(error("expected 4 tab-separated fields"));
        };
        let registry = Registry::from_name(registry).ok_or_else(|| error("unknown registry"))?;
        if bits.parse::<u8>().ok() != Some(registry.prefix_bits()) {
            return Err(error("prefix bits do not match the registry"));
        }
        if hex.len() != usize::from(registry.prefix_bits() / 4)
            || !hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(error("prefix is not one hex digit per 4 prefix bits"));
        }
        let prefix = u64::from_str_radix(hex, 16).map_err(|_| error("prefix is not hex"))?;
        if organization.trim().is_empty() {
            return Err(error("empty organization name"));
        }
        let assignment = Assignment {
            prefix,
            registry,
            organization,
        };
        match registry.prefix_bits() {
            24 => bits24.push(assignment),
            28 => bits28.push(assignment),
            _ => bits36.push(assignment),
        }
    }
    let table_error = |reason| OuiParseError { line: 0, reason };
    for vector in [&mut bits24, &mut bits28, &mut bits36] {
        // The generator writes prefix order already; sorting keeps hand-made tables working.
        if !vector.is_sorted_by_key(|a| a.prefix) {
            vector.sort_unstable_by_key(|a| a.prefix);
        }
        if vector.windows(2).any(|w| w[0].prefix == w[1].prefix) {
            return Err(table_error("a prefix is listed twice"));
        }
    }
    Ok(ParsedTable {
        source: source.ok_or_else(|| table_error("no `# source:` header line"))?,
        generated: generated.ok_or_else(|| table_error("no `# generated:` header line"))?,
        bits24,
        bits28,
        bits36,
    })
}
