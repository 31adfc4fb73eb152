//! `wardline zones propose`: zones from what the store saw, printed for review.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use store::{DeviceQuery, Store};

use crate::args::{ZonesArgs, ZonesCommand};

pub fn run(args: &ZonesArgs) -> Result<ExitCode> {
    match &args.command {
        ZonesCommand::Propose { db, format } => {
            let store = crate::devices::open_existing(db)?;
            // Every device, a page at a time (a page is bounded; 100,000 devices are ten).
            let mut devices = Vec::new();
            let mut query = DeviceQuery {
                limit: DeviceQuery::MAX_LIMIT,
                ..DeviceQuery::default()
            };
            loop {
                let page = store
                    .devices(&query)
                    .with_context(|| format!("reading {}", db.display()))?;
                let n = page.items.len() as u64;
                devices.extend(page.items);
                query.offset += n;
                if n == 0 || query.offset >= page.total {
                    break;
                }
            }
            let proposed = policy::propose(&devices);
            let mut out = io::stdout().lock();
            if format == "json" {
                let value: Vec<serde_json::Value> = proposed
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "zone": p.zone,
                            "devices": p.devices,
                            "categories": p.categories.iter().map(|(c, n)| serde_json::json!({"category": c, "devices": n})).collect::<Vec<_>>(),
                            "more_subnets": p.more_subnets,
                        })
                    })
                    .collect();
                crate::output::write_json(&mut out, &value)?;
                return Ok(ExitCode::SUCCESS);
            }
            writeln!(
                out,
                "# Zones proposed by wardline from {} ({} devices): review each kind and name,\n\
                 # then paste what you accept into wardline.toml and analyse with --config.",
                db.display(),
                devices.len()
            )?;
            for p in &proposed {
                let cats: Vec<String> = p
                    .categories
                    .iter()
                    .take(6)
                    .map(|(c, n)| format!("{n} {c}"))
                    .collect();
                writeln!(out)?;
                writeln!(out, "# {} stations: {}", p.devices, cats.join(", "))?;
                if p.more_subnets > 0 {
                    writeln!(out, "# and {} more /24s not listed", p.more_subnets)?;
                }
                #[derive(serde::Serialize)]
                struct One<'a> {
                    zones: [&'a model::Zone; 1],
                }
                write!(out, "{}", toml::to_string(&One { zones: [&p.zone] })?)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
