//! `bundle_size`: the wasm, JS and CSS a browser downloads (everything under
//! the site's `pkg/`), raw, gzip (level 9) and brotli (quality 11, window
//! 22), against a Leptos hello-world (`bench/hello`) built in the same run
//! with the same profile and the same wasm-opt (see the Makefile).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::json;

use crate::report::ScenarioResult;
use crate::run::{Ctx, exists_dir};
use crate::stats::{ratio, round3};

#[derive(Debug, Serialize)]
pub struct FileSize {
    pub file: String,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

#[derive(Debug, Default, Serialize)]
pub struct Bundle {
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
    pub files: Vec<FileSize>,
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("wasm" | "js" | "css")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

pub fn gzip(bytes: &[u8]) -> Result<usize> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes)?;
    Ok(enc.finish()?.len())
}

pub fn brotli(bytes: &[u8]) -> Result<usize> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out.len())
}

/// Measures everything under `<site>/pkg`.
pub fn measure(site: &Path) -> Result<Bundle> {
    let pkg = site.join("pkg");
    exists_dir(
        &pkg,
        "the site's pkg directory",
        "build the site with cargo leptos first",
    )?;
    let mut files = Vec::new();
    collect(&pkg, &mut files)?;
    files.sort();
    if !files
        .iter()
        .any(|f| f.extension().is_some_and(|e| e == "wasm"))
    {
        bail!("no .wasm file under {}", pkg.display());
    }
    let mut b = Bundle::default();
    for f in files {
        let bytes = std::fs::read(&f)?;
        let size = FileSize {
            file: f.strip_prefix(&pkg).unwrap_or(&f).display().to_string(),
            raw: bytes.len(),
            gzip: gzip(&bytes)?,
            brotli: brotli(&bytes)?,
        };
        b.raw += size.raw;
        b.gzip += size.gzip;
        b.brotli += size.brotli;
        b.files.push(size);
    }
    Ok(b)
}

fn tool_version(cmd: &str) -> String {
    std::process::Command::new(cmd)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "not found".into(), |s| s.trim().to_owned())
}

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let site = ctx.opts.site.clone();
    let hello_site = ctx.opts.hello_site.clone();
    let (hearth, hello) = tokio::task::spawn_blocking(move || -> Result<(Bundle, Bundle)> {
        Ok((
            measure(&site).context("Hearth's bundle")?,
            measure(&hello_site).context("the hello-world's bundle (built by `make bench`)")?,
        ))
    })
    .await??;
    let kb = |b: usize| round3(b as f64 / 1000.0);
    let r_br = ratio(hearth.brotli as f64, hello.brotli as f64);
    let r_gz = ratio(hearth.gzip as f64, hello.gzip as f64);
    let met = r_br.is_some_and(|r| r <= 2.0) && r_gz.is_some_and(|r| r <= 2.0);
    let notes = vec![
        format!(
            "Hearth: {} KB raw, {} KB gzip, {} KB brotli ({}). Hello-world: {} KB raw, {} KB gzip, {} KB brotli ({}).",
            kb(hearth.raw),
            kb(hearth.gzip),
            kb(hearth.brotli),
            hearth
                .files
                .iter()
                .map(|f| format!("{} {} KB", f.file, kb(f.raw)))
                .collect::<Vec<_>>()
                .join(", "),
            kb(hello.raw),
            kb(hello.gzip),
            kb(hello.brotli),
            hello
                .files
                .iter()
                .map(|f| format!("{} {} KB", f.file, kb(f.raw)))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        format!(
            "Ratios: gzip {:.2}×, brotli {:.2}×. gzip level 9 and brotli quality 11, the copies `make build` writes beside each file and Hearth sends (src/server/assets.rs). Both built by `cargo leptos build --release` with the `wasm-release` profile (opt-level z, LTO, one codegen unit, panic=abort) and {}; {}.",
            r_gz.unwrap_or(0.0),
            r_br.unwrap_or(0.0),
            tool_version("wasm-opt"),
            tool_version("wasm-bindgen")
        ),
    ];
    Ok(ScenarioResult {
        name: "bundle_size".into(),
        value: kb(hearth.brotli),
        unit: "KB brotli".into(),
        reference: Some(kb(hello.brotli)),
        ratio: r_br,
        goal: super::goal("bundle_size").into(),
        met,
        other_load_pct: 0.0,
        notes,
        details: json!({ "hearth": hearth, "hello_world": hello, "ratio_gzip": r_gz, "ratio_brotli": r_br }),
    })
}
