//! Writes `shipped.rs`: the shipped rules and vendor aliases, compiled by the same code as
//! any rule file, as Rust statics (see `the_shipped_rules_are_compiled_in`).

use std::fmt::Write as _;

use super::pattern::Alt;
use super::rule::{Condition, Field, Rule, ServiceCond, Text};

/// The source of `shipped.rs` for rule files with `digest`.
pub(super) fn render(
    digest: u64,
    files: &[String],
    rules: &[Rule],
    vendors: &[(&str, &str, &str)],
) -> Result<String, std::fmt::Error> {
    let mut o = String::new();
    writeln!(
        o,
        "// Generated from kb/rules/*.toml by the identify test `the_shipped_rules_are_compiled_in`:"
    )?;
    writeln!(
        o,
        "// `WARDLINE_BLESS=1 cargo test -p identify the_shipped_rules_are_compiled_in` rewrites it."
    )?;
    writeln!(
        o,
        "// Do not edit. Until it is rewritten after a change to kb/rules, the rule files are parsed"
    )?;
    writeln!(o, "// at start-up instead (DIGEST tells).")?;
    writeln!(o)?;
    writeln!(o, "use std::borrow::Cow::Borrowed as B;")?;
    writeln!(o)?;
    writeln!(o, "use super::pattern::Alt;")?;
    writeln!(
        o,
        "use super::rule::{{Condition, Field, Rule, ServiceCond}};"
    )?;
    writeln!(o)?;
    writeln!(o, "pub(super) const DIGEST: u64 = {digest:#018x};")?;
    writeln!(o)?;
    writeln!(o, "pub(super) static FILES: &[&str] = &[")?;
    for f in files {
        writeln!(o, "    {f:?},")?;
    }
    writeln!(o, "];")?;
    writeln!(o)?;
    writeln!(o, "pub(super) static RULES: &[Rule] = &[")?;
    for r in rules {
        rule(&mut o, r)?;
    }
    writeln!(o, "];")?;
    writeln!(o)?;
    writeln!(
        o,
        "/// (an alias's normal form, its canonical name, the canonical name's normal form)."
    )?;
    writeln!(o, "pub(super) static VENDORS: &[(&str, &str, &str)] = &[")?;
    for (alias, name, key) in vendors {
        writeln!(o, "    ({alias:?}, {name:?}, {key:?}),")?;
    }
    writeln!(o, "];")?;
    Ok(o)
}

fn rule(o: &mut String, r: &Rule) -> std::fmt::Result {
    writeln!(o, "    Rule {{")?;
    writeln!(o, "        source: B({:?}),", r.source)?;
    writeln!(o, "        citation: B({:?}),", r.citation)?;
    writeln!(o, "        matches: B(&[")?;
    for c in r.matches.iter() {
        condition(o, c)?;
    }
    writeln!(o, "        ]),")?;
    writeln!(o, "        role: {},", option_text(r.role.as_ref()))?;
    writeln!(o, "        serves: {},", service(r.serves.as_ref()))?;
    writeln!(o, "        uses: {},", service(r.uses.as_ref()))?;
    write!(o, "        sets: B(&[")?;
    for (i, (name, template, weight)) in r.sets.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        write!(o, "{sep}({name:?}, B({template:?}), {weight:?})")?;
    }
    writeln!(o, "]),")?;
    writeln!(o, "    }},")
}

fn condition(o: &mut String, c: &Condition) -> std::fmt::Result {
    writeln!(o, "            Condition {{")?;
    let field = match &c.field {
        Field::Oui => "Field::Oui".to_owned(),
        Field::VendorClass => "Field::VendorClass".to_owned(),
        Field::DhcpPrl => "Field::DhcpPrl".to_owned(),
        Field::Hostname => "Field::Hostname".to_owned(),
        Field::Fact(k) => format!("Field::Fact(B({k:?}))"),
        Field::Software => "Field::Software".to_owned(),
        Field::Dns => "Field::Dns".to_owned(),
    };
    writeln!(o, "                field: {field},")?;
    writeln!(o, "                pattern: B({:?}),", c.pattern)?;
    write!(o, "                names: B(&[")?;
    for (i, n) in c.names.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        write!(o, "{sep}B({n:?})")?;
    }
    writeln!(o, "]),")?;
    writeln!(o, "                literal: {},", c.literal)?;
    writeln!(o, "                alts: B(&[")?;
    for Alt { start, end, text } in c.alts.iter() {
        writeln!(
            o,
            "                    Alt {{ start: {start}, end: {end}, text: B({text:?}) }},"
        )?;
    }
    writeln!(o, "                ]),")?;
    writeln!(o, "            }},")
}

fn option_text(t: Option<&Text>) -> String {
    t.map_or_else(|| "None".to_owned(), |t| format!("Some(B({t:?}))"))
}

fn service(c: Option<&ServiceCond>) -> String {
    c.map_or_else(
        || "None".to_owned(),
        |c| {
            format!(
                "Some(ServiceCond {{ app: {}, port: {:?}, transport: {}, min_peers: {} }})",
                option_text(c.app.as_ref()),
                c.port,
                option_text(c.transport.as_ref()),
                c.min_peers
            )
        },
    )
}
