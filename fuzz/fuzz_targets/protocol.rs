//! The websocket protocol parser on arbitrary bytes: it must never panic,
//! and whatever it accepts must survive a round trip unchanged (what the
//! server would echo or log is exactly what it understood).

#![no_main]

use hearth::model::ClientEvent;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<ClientEvent>(data) else {
        return;
    };
    // The server parses text frames with `ClientEvent::parse`; it must agree.
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(ClientEvent::parse(text).as_ref(), Ok(&event));
    }
    let json = serde_json::to_vec(&event).expect("a parsed event serialises");
    let again: ClientEvent = serde_json::from_slice(&json).expect("its own JSON parses");
    assert_eq!(again, event);
});
