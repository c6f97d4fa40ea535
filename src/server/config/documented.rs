//! Every configuration key is declared once, in `KEYS`; `Leptos.toml` (the
//! file people edit) must list each with its environment variable, and the
//! site keys cargo-leptos also reads from `Cargo.toml` must agree there.

use super::KEYS;

const LEPTOS_TOML: &str = include_str!("../../../Leptos.toml");
const CARGO_TOML: &str = include_str!("../../../Cargo.toml");

/// The line of `Leptos.toml` that sets (or shows, commented out) `key`.
fn line_for(key: &str) -> Option<&'static str> {
    LEPTOS_TOML.lines().find(|line| {
        let line = line.trim_start_matches(['#', ' ']);
        line.strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    })
}

#[test]
fn every_key_is_in_leptos_toml_with_its_variable() {
    for (table, key, env) in KEYS {
        let line = line_for(key).unwrap_or_else(|| panic!("{table}.{key} is not in Leptos.toml"));
        assert!(
            line.contains(env),
            "Leptos.toml's {key} line does not name {env}: {line}"
        );
    }
}

#[test]
fn leptos_toml_has_no_key_the_server_does_not_read() {
    let parsed: toml::Table = toml::from_str(LEPTOS_TOML).expect("Leptos.toml parses");
    for (table, keys) in &parsed {
        let keys = keys.as_table().expect("sections are tables");
        for key in keys.keys() {
            assert!(
                KEYS.iter().any(|(t, k, _)| t == table && k == key),
                "Leptos.toml sets {table}.{key}, which the server does not read"
            );
        }
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
