//! TLS with the self-signed CA made at start, checked with a rustls client
//! configured by `ami_client::tls` (the adapters' own settings).
#![cfg(feature = "tls")]

mod common;

use std::net::TcpStream;
use std::time::Duration;

use ami_client::tls::{Trust, client_config, server_name};
use ami_proto::{Action, CloseReason, EventMask, ServerMessage};
use ami_testkit::{Fault, Server};
use common::{Client, TIMEOUT, config};
use rustls::{ClientConnection, StreamOwned};

fn tls_client(server: &Server, host: &str, events: EventMask) -> Client {
    let trust = Trust::Pem(server.cert_pem().unwrap().as_bytes().to_vec());
    let config_tls = client_config(&trust).unwrap();
    let conn = ClientConnection::new(config_tls, server_name(host).unwrap()).unwrap();
    let socket = TcpStream::connect(server.addr()).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let mut client = Client::over(Box::new(StreamOwned::new(conn, socket)), config(events));
    assert!(client.wait_ready(), "{:?}", client.closed);
    client
}

#[test]
fn tls_session() {
    let server = Server::builder().tls().start();
    assert!(server.is_tls());
    assert!(server.url().starts_with("tls://admin:amp111@127.0.0.1:"));
    assert!(
        server
            .cert_pem()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert!(!server.cert_der().unwrap().is_empty());

    for host in ["localhost", "127.0.0.1"] {
        let mut client = tls_client(&server, host, EventMask::On);
        assert_eq!(
            client.banner.as_deref(),
            Some("Asterisk Call Manager/11.0.0")
        );
        assert_eq!(
            client.next_message(TIMEOUT).unwrap().name().unwrap(),
            "FullyBooted"
        );
        assert!(client.send(Action::new("Ping")).is_ok());
        let list = client.send(Action::new("QueueStatus")).unwrap();
        assert_eq!(list.events().len(), 3);
        assert_eq!(server.push_event(ServerMessage::event("Custom")), 1);
        assert_eq!(
            client.next_message(TIMEOUT).unwrap().name().unwrap(),
            "Custom"
        );
        server.inject(Fault::Flood(1000));
        assert!(client.until(TIMEOUT, |c| c.messages.len() == 1000));
        client.messages.clear();
        assert_eq!(client.logoff(), Some(CloseReason::LoggedOff));
        assert!(server.wait_sessions(0, TIMEOUT));
    }
}

#[test]
fn tls_byte_at_a_time_and_plain_clients_refused() {
    let server = Server::builder().tls().fault(Fault::ByteAtATime).start();
    let mut client = tls_client(&server, "localhost", EventMask::Off);
    assert!(client.send(Action::new("Ping")).is_ok());

    // A plaintext client gets no banner, only a TLS alert and a close.
    let mut socket = common::socket(server.addr());
    std::io::Write::write_all(&mut socket, b"Action: Ping\r\n\r\n").unwrap();
    let (got, closed) = common::read_to_close(&mut socket, TIMEOUT);
    assert!(closed);
    assert!(!got.starts_with(b"Asterisk"));
}

#[test]
fn plain_servers_have_no_certificate() {
    let server = Server::start();
    assert!(server.cert_pem().is_none());
    assert!(server.cert_der().is_none());
}
