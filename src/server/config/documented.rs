//! Every configuration key is declared once, in `keys.rs`; these tests hold
//! the files people read to that declaration. `Leptos.toml` (the file people
//! edit) must list each key with its environment variable and set it to the
//! declared default; the README's table must name each key, or a `table.*`
//! row whose rule the keys follow; and the site keys cargo-leptos also reads
//! from `Cargo.toml` must agree there.

use super::Config;
use super::declare::Declared;

const LEPTOS_TOML: &str = include_str!("../../../Leptos.toml");
const CARGO_TOML: &str = include_str!("../../../Cargo.toml");
const README: &str = include_str!("../../../README.md");

fn declared() -> Vec<Declared> {
    let mut keys = Vec::new();
    Config::declared(&mut keys);
    keys
}

/// The line of `Leptos.toml` that sets (or shows, commented out) `key` in
/// its table.
fn line_for(table: &str, key: &str) -> Option<&'static str> {
    let mut current = "";
    LEPTOS_TOML.lines().find(|line| {
        if let Some(header) = line.strip_prefix('[') {
            current = header.trim_end().trim_end_matches(']');
            return false;
        }
        let line = line.trim_start_matches(['#', ' ']);
        current == table
            && line
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
    })
}

/// How `Leptos.toml` would set `d`, for failure messages to paste from.
fn suggested_line(d: &Declared) -> String {
    let (hash, value) = match &d.default {
        Some(value) => ("", value.to_string()),
        None => ("# ", "...".to_owned()),
    };
    format!(
        "[{}] {hash}{} = {value}  # {}: {}",
        d.key.table, d.key.name, d.key.env, d.about
    )
}

#[test]
fn every_key_says_what_it_is_for_and_has_its_own_variable() {
    let keys = declared();
    for (i, d) in keys.iter().enumerate() {
        assert!(!d.about.is_empty(), "{} has no doc comment", d.key.dotted);
        for other in &keys[..i] {
            assert_ne!(d.key.dotted, other.key.dotted, "declared twice");
            assert_ne!(d.key.env, other.key.env, "two keys share a variable");
        }
    }
}

#[test]
fn every_key_is_in_leptos_toml_with_its_variable() {
    for d in declared() {
        let line = line_for(d.key.table, d.key.name).unwrap_or_else(|| {
            panic!(
                "{} is not in Leptos.toml; add\n{}",
                d.key.dotted,
                suggested_line(&d)
            )
        });
        assert!(
            line.contains(d.key.env),
            "Leptos.toml's {} line does not name {}: {line}",
            d.key.dotted,
            d.key.env
        );
    }
}

#[test]
fn leptos_toml_sets_each_key_to_its_default() {
    let parsed: toml::Table = toml::from_str(LEPTOS_TOML).expect("Leptos.toml parses");
    for d in declared() {
        let set = parsed
            .get(d.key.table)
            .and_then(|table| table.get(d.key.name));
        match &d.default {
            Some(default) => assert_eq!(
                set,
                Some(default),
                "Leptos.toml should set {} to its default: {}",
                d.key.dotted,
                suggested_line(&d)
            ),
            None => assert!(
                set.is_none(),
                "{} has no default: Leptos.toml should show it commented out",
                d.key.dotted
            ),
        }
    }
}

#[test]
fn leptos_toml_has_no_key_the_server_does_not_read() {
    let parsed: toml::Table = toml::from_str(LEPTOS_TOML).expect("Leptos.toml parses");
    let keys = declared();
    for (table, keys_set) in &parsed {
        let keys_set = keys_set.as_table().expect("sections are tables");
        for key in keys_set.keys() {
            assert!(
                keys.iter()
                    .any(|d| d.key.table == table && d.key.name == key),
                "Leptos.toml sets {table}.{key}, which the server does not read"
            );
        }
    }
}

#[test]
fn leptos_toml_is_the_configuration_the_server_starts_with() {
    let from_file = Config::from_toml("Leptos.toml", LEPTOS_TOML, |_| None).expect("it loads");
    let defaults = Config::from_toml("(nothing)", "", |_| None).expect("defaults load");
    assert_eq!(format!("{from_file:?}"), format!("{defaults:?}"));
}

/// The rows of the README's "Configuration" table: (key cell, variable
/// cell, default cell), backticks removed from the key.
fn readme_rows() -> Vec<(String, &'static str, &'static str)> {
    let section = README
        .split("\n## Configuration\n")
        .nth(1)
        .expect("the README has a Configuration section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            assert!(cells.len() >= 5, "a short row: {line}");
            (cells[1].replace('`', ""), cells[2], cells[3])
        })
        .collect()
}

#[test]
fn the_readme_table_lists_each_key_with_its_variable_and_default() {
    let keys = declared();
    let rows = readme_rows();
    for (key, variable, default) in &rows {
        if let Some(table) = key.strip_suffix(".*") {
            assert!(
                keys.iter().any(|d| d.key.table == table),
                "the README's table names [{table}], which has no keys"
            );
            continue;
        }
        let d = keys
            .iter()
            .find(|d| d.key.dotted == key)
            .unwrap_or_else(|| panic!("the README's table names {key}, which is not a key"));
        assert!(
            variable.contains(&format!("`{}`", d.key.env)),
            "the README's {key} row should name `{}`",
            d.key.env
        );
        let shown = match &d.default {
            Some(toml::Value::String(s)) => format!("`{s}`"),
            Some(other) => format!("`{other}`"),
            None => "none".to_owned(),
        };
        assert!(
            default.starts_with(&shown),
            "the README's {key} default should start with {shown}: {default}"
        );
    }
    for d in &keys {
        if rows.iter().any(|(key, ..)| key == d.key.dotted) {
            continue;
        }
        let wildcard = format!("{}.*", d.key.table);
        let (_, variable, _) = rows
            .iter()
            .find(|(key, ..)| *key == wildcard)
            .unwrap_or_else(|| {
                panic!(
                    "the README's table has no row for {} (nor {wildcard})",
                    d.key.dotted
                )
            });
        // A wildcard row's variables follow its rule, and its defaults are
        // the ones Leptos.toml sets (tested above).
        assert!(
            variable.contains("`HEARTH_<KEY>`"),
            "{wildcard}: {variable}"
        );
        let rule = format!("HEARTH_{}", d.key.name.to_uppercase().replace('-', "_"));
        assert_eq!(
            d.key.env, rule,
            "{} does not follow {wildcard}'s rule: give it its own row",
            d.key.dotted
        );
    }
}

#[test]
fn site_keys_agree_with_cargo_leptos() {
    let leptos: toml::Table = toml::from_str(LEPTOS_TOML).expect("Leptos.toml parses");
    let cargo: toml::Table = toml::from_str(CARGO_TOML).expect("Cargo.toml parses");
    let server = &leptos["server"];
    let build = &cargo["package"]["metadata"]["leptos"];
    for key in ["site-addr", "site-root", "site-pkg-dir", "output-name"] {
        assert_eq!(
            server.get(key),
            build.get(key),
            "{key} differs between Leptos.toml and Cargo.toml"
        );
    }
}
