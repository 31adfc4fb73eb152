//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Passive inventory of the devices on a hospital network.
#[derive(Debug, Parser)]
#[command(name = "wardline", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read capture files and report the devices seen in them.
    Analyze(AnalyzeArgs),
}

/// Output format of `analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people (default on a terminal).
    Table,
    /// The `wardline.analysis/v1` JSON report (default when piped).
    Json,
    /// One row per device.
    Csv,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Capture files (pcap or pcapng; any mix of link types).
    #[arg(required = true, value_name = "CAPTURE")]
    pub inputs: Vec<PathBuf>,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,

    /// Merge the devices into this encrypted database (created if missing; key from
    /// WARDLINE_DB_KEY or a 0600 key file beside it).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Also write every flow record (CSV) to this file.
    #[arg(long, value_name = "PATH")]
    pub flows: Option<PathBuf>,

    /// Write one JSON line per application event (TLS handshake, HTTP request, DICOM
    /// association, HL7 message, login…) in Suricata's EVE shape (docs/events.md).
    #[arg(long, value_name = "PATH")]
    pub events: Option<PathBuf>,

    /// Skip the application-layer parsers (flows, DHCP, DNS, ARP and ND only): to measure
    /// what they cost, or for the fastest inventory.
    #[arg(long)]
    pub no_app_layer: bool,

    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Most flows held at once; the least recently active is evicted when full.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub max_flows: usize,

    /// Bytes of each TCP direction reassembled (the rest is counted, not buffered).
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES")]
    pub reassembly_bytes: u32,

    /// Idle timeout of established TCP flows, seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub tcp_idle: u32,

    /// Idle timeout of UDP flows, seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub udp_idle: u32,

    /// Flows open longer than this are split into several records, seconds.
    #[arg(long, default_value_t = 1800, value_name = "SECONDS")]
    pub active_timeout: u32,

    /// Most devices tracked in one analysis.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub max_devices: usize,
}
