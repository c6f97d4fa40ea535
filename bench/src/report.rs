//! The report: `report.json` (`{"machine", "settings", "scenarios": [...]}`,
//! each scenario with `name`, `value`, `unit`, `reference`, `ratio`, `goal`,
//! `met`, plus notes and details) and the same as a Markdown table.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::stats::fmt_num;
use crate::sys::Machine;

#[derive(Debug, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub reference: Option<f64>,
    pub ratio: Option<f64>,
    pub goal: String,
    pub met: bool,
    /// CPU other processes on the machine used while this scenario ran, in
    /// percent of one core (a shared machine: above ~10% the figures are
    /// suspect).
    pub other_load_pct: f64,
    /// What a reader needs to judge the row: medians and ranges, durations
    /// used, the generator's CPU, anything that fell short.
    pub notes: Vec<String>,
    pub details: serde_json::Value,
}

impl ScenarioResult {
    /// A scenario that could not be measured: the report says why.
    pub fn failed(name: &str, goal: &str, error: &anyhow::Error) -> Self {
        Self {
            name: name.to_owned(),
            value: 0.0,
            unit: String::new(),
            reference: None,
            ratio: None,
            goal: goal.to_owned(),
            met: false,
            other_load_pct: 0.0,
            notes: vec![format!("not measured: {error:#}")],
            details: serde_json::Value::Null,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub settings: serde_json::Value,
    pub scenarios: Vec<ScenarioResult>,
    pub total_secs: f64,
    /// The hand-written analysis of the profiles (`bench/FINDINGS.md`),
    /// appended to the Markdown report.
    pub findings: Option<String>,
}

impl Report {
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)?;
        let json = dir.join("report.json");
        std::fs::write(&json, serde_json::to_string_pretty(self)? + "\n")
            .with_context(|| format!("writing {}", json.display()))?;
        let md = dir.join("report.md");
        std::fs::write(&md, self.markdown())
            .with_context(|| format!("writing {}", md.display()))?;
        Ok(())
    }

    /// The table alone (also what goes into the README).
    pub fn table(&self) -> String {
        let mut s = String::from(
            "| scenario | Hearth | reference | ratio | goal | met | other load |\n| --- | --- | --- | --- | --- | --- | --- |\n",
        );
        for r in &self.scenarios {
            let value = if r.unit.is_empty() {
                "—".to_owned()
            } else {
                format!("{} {}", fmt_num(r.value), r.unit)
            };
            let reference = r
                .reference
                .map_or_else(|| "—".to_owned(), |v| format!("{} {}", fmt_num(v), r.unit));
            let ratio = r
                .ratio
                .map_or_else(|| "—".to_owned(), |v| format!("{v:.2}×"));
            s.push_str(&format!(
                "| `{}` | {value} | {reference} | {ratio} | {} | {} | {:.0}% |\n",
                r.name,
                r.goal,
                if r.met { "yes" } else { "**no**" },
                r.other_load_pct
            ));
        }
        s
    }

    pub fn markdown(&self) -> String {
        let mut s = String::from("# Hearth benchmark report\n\n");
        s.push_str(&format!("Machine: {}.\n\n", self.machine.summary()));
        s.push_str(&self.table());
        s.push_str(&format!(
            "\nWhole run: {:.0} s. Values are medians over the rounds; ranges and per-round values are below and in `report.json`. \"Other load\" is the CPU that processes outside this run used meanwhile, in percent of one core (the machine is shared).\n",
            self.total_secs
        ));
        for r in &self.scenarios {
            s.push_str(&format!("\n## `{}`\n\n", r.name));
            for n in &r.notes {
                s.push_str(&format!("- {n}\n"));
            }
        }
        if let Some(f) = &self.findings {
            s.push('\n');
            s.push_str(f);
        }
        s
    }
}
