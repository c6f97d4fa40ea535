//! How many connections the server holds open: in total (below the
//! open-files limit, so it can always open its database and answer its own
//! health check) and per client address (so one address cannot take them
//! all). A connection's permit travels with its socket, through a websocket
//! upgrade, and is given back when the socket closes.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::server::client_addr::limit_key;

/// Open files kept back for the database, its journal, pictures, logs and
/// the listener itself when the total is derived from the open-files limit.
const RESERVED_FILES: u64 = 128;

/// The connection caps and who holds what.
#[derive(Clone)]
pub struct Caps {
    inner: Arc<Inner>,
}

struct Inner {
    total: usize,
    per_address: usize,
    /// Addresses (the trusted proxies) that only the total applies to.
    exempt: Vec<ipnet::IpNet>,
    open: Mutex<Open>,
}

impl Inner {
    /// The counts, locked. The lock is poisoned only by a panic while it is
    /// held, and it is held only to compare and step counters.
    #[expect(
        clippy::expect_used,
        reason = "nothing that holds the lock panics, so it is never poisoned"
    )]
    fn counts(&self) -> MutexGuard<'_, Open> {
        self.open.lock().expect("caps lock")
    }
}

#[derive(Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// Why a connection was turned away.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Total,
    Address,
}

impl Caps {
    pub fn new(total: usize, per_address: usize, exempt: Vec<ipnet::IpNet>) -> Self {
        Self {
            inner: Arc::new(Inner {
                total,
                per_address,
                exempt,
                open: Mutex::default(),
            }),
        }
    }

    /// The configured total, or the open-files limit less what the server
    /// needs for itself.
    pub fn total_for(configured: Option<usize>) -> usize {
        configured.unwrap_or_else(|| {
            let nofile = open_files_limit();
            nofile.saturating_sub(RESERVED_FILES).max(16) as usize
        })
    }

    pub fn total(&self) -> usize {
        self.inner.total
    }

    /// A permit for one more connection from `peer`, or why not.
    pub fn admit(&self, peer: IpAddr) -> Result<Permit, Refused> {
        let inner = &self.inner;
        let key = limit_key(peer);
        let counted = !inner.exempt.iter().any(|net| net.contains(&peer));
        let mut open = inner.counts();
        if open.total >= inner.total {
            return Err(Refused::Total);
        }
        if counted {
            let n = open.by_address.entry(key).or_default();
            if *n >= inner.per_address {
                return Err(Refused::Address);
            }
            *n += 1;
        }
        open.total += 1;
        Ok(Permit {
            caps: self.clone(),
            key: counted.then_some(key),
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.inner.counts().total
    }
}

/// One admitted connection; gives its place back when dropped.
pub struct Permit {
    caps: Caps,
    key: Option<IpAddr>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.caps.inner.counts();
        open.total -= 1;
        if let Some(key) = self.key
            && let Some(n) = open.by_address.get_mut(&key)
        {
            *n -= 1;
            if *n == 0 {
                open.by_address.remove(&key);
            }
        }
    }
}

/// A socket that holds its connection's permit for as long as it is open.
pub struct Counted<T> {
    io: T,
    _permit: Permit,
}

impl<T> Counted<T> {
    pub fn new(io: T, permit: Permit) -> Self {
        Self {
            io,
            _permit: permit,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// The process's soft open-files limit.
fn open_files_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
        lim.rlim_cur
    } else {
        1024
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_per_address_and_in_total() {
        let caps = Caps::new(3, 2, vec!["10.0.0.1/32".parse().unwrap()]);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let a1 = caps.admit(a).unwrap();
        let _a2 = caps.admit(a).unwrap();
        assert_eq!(caps.admit(a).err(), Some(Refused::Address));
        let _b1 = caps.admit(b).unwrap();
        assert_eq!(caps.admit(proxy).err(), Some(Refused::Total));
        drop(a1);
        assert_eq!(caps.open(), 2);
        let _p = caps
            .admit(proxy)
            .expect("a proxy is only counted in the total");
    }

    #[test]
    fn one_ipv6_network_is_one_address() {
        let caps = Caps::new(10, 1, vec![]);
        let _one = caps.admit("2001:db8::1".parse().unwrap()).unwrap();
        assert_eq!(
            caps.admit("2001:db8::2".parse().unwrap()).err(),
            Some(Refused::Address)
        );
        assert!(caps.admit("2001:db8:0:1::1".parse().unwrap()).is_ok());
    }

    #[test]
    fn the_total_stays_below_the_open_files_limit() {
        assert!((Caps::total_for(None) as u64) < open_files_limit());
        assert_eq!(Caps::total_for(Some(7)), 7);
    }
}
