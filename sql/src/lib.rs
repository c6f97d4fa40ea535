//! `shared!`: a query whose SQL is the same in both stores, written once.
//!
//! ```text
//! shared!(db.read(), query_as!(UserRow, "SELECT id, name FROM users WHERE id = $1", id), fetch_optional)
//! ```
//!
//! expands to a `match` on the executor (`Exec::Sqlite(c)` or
//! `Exec::Postgres(c)`) whose arms are sqlx's own checked macro, each with
//! the SQL as that store writes it (`$1` becomes `?1` for SQLite), followed
//! by `.fetch_optional(c).await`. Both arms must have one type, so the
//! macro is `query_as!` (a named row type) or `query_scalar!`, or the method
//! is `execute`, whose result becomes the number of rows it touched.
//!
//! SQL that differs between the stores is not written here but in a
//! `per_store!` with both texts, side by side.

use proc_macro::TokenStream;
use proc_macro2::{TokenStream as Tokens, TokenTree};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, LitStr, Token, parenthesized};

/// Ends each store's text: it tells `make prepare` which store describes
/// the query (each pass caches what its own store could parse), and keeps
/// the two texts apart when they would otherwise be equal.
const SQLITE: &str = "\n-- store: sqlite";
const POSTGRES: &str = "\n-- store: postgres";

struct Shared {
    exec: Expr,
    mac: Ident,
    args: Tokens,
    method: Ident,
}

impl Parse for Shared {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let exec = input.parse()?;
        input.parse::<Token![,]>()?;
        let mac: Ident = input.parse()?;
        input.parse::<Token![!]>()?;
        let inner;
        parenthesized!(inner in input);
        let args = inner.parse()?;
        input.parse::<Token![,]>()?;
        let method = input.parse()?;
        let _ = input.parse::<Option<Token![,]>>()?;
        Ok(Self {
            exec,
            mac,
            args,
            method,
        })
    }
}

#[proc_macro]
pub fn shared(input: TokenStream) -> TokenStream {
    let Shared {
        exec,
        mac,
        args,
        method,
    } = syn::parse_macro_input!(input as Shared);
    match expand(&exec, &mac, &args, &method) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(exec: &Expr, mac: &Ident, args: &Tokens, method: &Ident) -> syn::Result<Tokens> {
    match mac.to_string().as_str() {
        "query_as" | "query_scalar" => {}
        "query" if method == "execute" => {}
        _ => {
            return Err(syn::Error::new(
                mac.span(),
                "use query_as! (a named row type) or query_scalar!, or query! with execute: \
                 query!'s anonymous rows are a different type in each store",
            ));
        }
    }
    let sqlite = with_sql(args, |sql| {
        format!("{}{SQLITE}", placeholders_for_sqlite(sql))
    })?;
    let postgres = with_sql(args, |sql| format!("{sql}{POSTGRES}"))?;
    let finish = if method == "execute" {
        quote!(.map(|done| done.rows_affected()))
    } else {
        quote!()
    };
    Ok(quote! {
        match #exec {
            crate::server::db::Exec::Sqlite(c) => sqlx::#mac!(#sqlite).#method(c).await #finish,
            crate::server::db::Exec::Postgres(c) => sqlx::#mac!(#postgres).#method(c).await #finish,
        }
    })
}

/// The macro's arguments with its SQL (the first string literal) rewritten.
fn with_sql(args: &Tokens, rewrite: impl Fn(&str) -> String) -> syn::Result<Tokens> {
    let mut done = false;
    let mut out = Vec::new();
    for tree in args.clone() {
        match tree {
            TokenTree::Literal(lit) if !done => {
                let Ok(sql) = syn::parse_str::<LitStr>(&lit.to_string()) else {
                    out.push(TokenTree::Literal(lit));
                    continue;
                };
                done = true;
                let mut new = proc_macro2::Literal::string(&rewrite(&sql.value()));
                new.set_span(lit.span());
                out.push(TokenTree::Literal(new));
            }
            other => out.push(other),
        }
    }
    if !done {
        return Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "no SQL string literal in the macro's arguments",
        ));
    }
    Ok(out.into_iter().collect())
}

/// `$1` → `?1` outside quoted strings and identifiers.
fn placeholders_for_sqlite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('?');
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::placeholders_for_sqlite as lite;

    #[test]
    fn placeholders_become_sqlites_outside_quotes() {
        assert_eq!(
            lite(r#"SELECT id AS "id!: i64" FROM t WHERE a = $1 AND b = '$2' AND c = $12"#),
            r#"SELECT id AS "id!: i64" FROM t WHERE a = ?1 AND b = '$2' AND c = ?12"#
        );
    }
}
