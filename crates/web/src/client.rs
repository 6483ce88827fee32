//! The network address a request came from, for the limits on guessing: the peer, or the
//! right-most address of the configured proxy header. [`crate::observe::Observe`] puts it on
//! every request.

use poem::Request;

/// The network address a request came from.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl ClientAddress {
    /// The address of `req`: the right-most entry of `proxy_header` when a trusted proxy is
    /// configured and sent one, else the peer.
    pub fn of(req: &Request, proxy_header: Option<&str>) -> Self {
        if let Some(name) = proxy_header
            && let Some(value) = req.headers().get(name).and_then(|v| v.to_str().ok())
            && let Some(last) = value.rsplit(',').map(str::trim).find(|s| !s.is_empty())
        {
            return Self(last.to_owned());
        }
        Self(
            req.remote_addr()
                .as_socket_addr()
                .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string()),
        )
    }
}
