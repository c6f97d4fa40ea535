//! A small command-line parser: `--name value` options and `--flag`s, with
//! errors that name the option and say what was expected.

use std::collections::HashMap;
use std::str::FromStr;

use anyhow::{Result, bail};

pub struct Args {
    values: HashMap<String, String>,
    flags: Vec<String>,
    used: Vec<String>,
}

impl Args {
    /// Splits `--name value` pairs from bare `--flag`s; `flags` lists the
    /// options that take no value.
    pub fn parse(argv: &[String], flags: &[&str]) -> Result<Self> {
        let mut values = HashMap::new();
        let mut seen_flags = Vec::new();
        let mut it = argv.iter();
        while let Some(arg) = it.next() {
            let Some(name) = arg.strip_prefix("--") else {
                bail!("unexpected argument {arg:?}: options look like --name value");
            };
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (name, None),
            };
            if flags.contains(&name) {
                if inline.is_some() {
                    bail!("--{name} takes no value");
                }
                seen_flags.push(name.to_owned());
                continue;
            }
            let value = match inline {
                Some(v) => v,
                None => match it.next() {
                    Some(v) => v.clone(),
                    None => bail!("--{name} needs a value"),
                },
            };
            if values.insert(name.to_owned(), value).is_some() {
                bail!("--{name} is given twice");
            }
        }
        Ok(Self {
            values,
            flags: seen_flags,
            used: Vec::new(),
        })
    }

    pub fn flag(&mut self, name: &str) -> bool {
        self.used.push(name.to_owned());
        self.flags.iter().any(|f| f == name)
    }

    pub fn opt_string(&mut self, name: &str) -> Option<String> {
        self.used.push(name.to_owned());
        self.values.get(name).cloned()
    }

    pub fn string(&mut self, name: &str) -> Result<String> {
        match self.opt_string(name) {
            Some(v) => Ok(v),
            None => bail!("--{name} is required"),
        }
    }

    pub fn opt<T: FromStr>(&mut self, name: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        match self.opt_string(name) {
            None => Ok(None),
            Some(raw) => match raw.parse() {
                Ok(v) => Ok(Some(v)),
                Err(e) => bail!("--{name} {raw:?}: {e}"),
            },
        }
    }

    pub fn get<T: FromStr>(&mut self, name: &str) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.opt(name)? {
            Some(v) => Ok(v),
            None => bail!("--{name} is required"),
        }
    }

    pub fn get_or<T: FromStr>(&mut self, name: &str, default: T) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        Ok(self.opt(name)?.unwrap_or(default))
    }

    /// Fails on any option nobody asked for (a typo, usually).
    pub fn finish(self) -> Result<()> {
        let unknown: Vec<String> = self
            .values
            .keys()
            .chain(self.flags.iter())
            .filter(|k| !self.used.contains(k))
            .map(|k| format!("--{k}"))
            .collect();
        if !unknown.is_empty() {
            bail!("unknown option(s): {}", unknown.join(", "));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn values_flags_and_errors() {
        let mut a = Args::parse(&argv("--rounds 3 --quick --out=x"), &["quick"]).unwrap();
        assert_eq!(a.get::<usize>("rounds").unwrap(), 3);
        assert!(a.flag("quick"));
        assert_eq!(a.string("out").unwrap(), "x");
        a.finish().unwrap();

        let mut a = Args::parse(&argv("--rounds three"), &[]).unwrap();
        let e = a.get::<usize>("rounds").unwrap_err().to_string();
        assert!(e.contains("--rounds"), "{e}");

        let a = Args::parse(&argv("--rouns 3"), &[]).unwrap();
        assert!(a.finish().unwrap_err().to_string().contains("--rouns"));
        assert!(Args::parse(&argv("--out"), &[]).is_err());
        assert!(Args::parse(&argv("stray"), &[]).is_err());
    }
}
