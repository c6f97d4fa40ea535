//! The websocket protocol parser on arbitrary bytes: it must never panic,
//! and whatever it accepts must survive a round trip unchanged (what the
//! server would echo or log is exactly what it understood).

#![no_main]

use hearth_protocol::ClientEvent;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<ClientEvent>(data) else {
        return;
    };
    // The server parses text frames with `ClientEvent::parse`; it must agree.
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(ClientEvent::parse(text).as_ref(), Ok(&event));
    }
    let again = ClientEvent::parse(&event.to_frame()).expect("its own frame parses");
    assert_eq!(again, event);
});
