//! The whole per-packet path: link decode → IP → transport → flows → application parsers
//! (events on) → identity, for every link type wardline decodes. Two frames per input so flow state and reassembly are touched.
#![no_main]

use capture::{Frame, LinkType};
use libfuzzer_sys::fuzz_target;
use model::Timestamp;
use sensor::{Sensor, SensorConfig};

const LINK_TYPES: [u32; 10] = [0, 1, 101, 105, 108, 113, 127, 228, 229, 276];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let link_type = LinkType(LINK_TYPES[usize::from(selector) % LINK_TYPES.len()]);
    let mut sensor = Sensor::new(SensorConfig {
        events: true,
        ..SensorConfig::default()
    });
    let half = rest.len() / 2;
    for (i, frame) in [&rest[..half], rest].into_iter().enumerate() {
        sensor.process(&Frame {
            ts: Timestamp(i as i64 * 1_000_000),
            link_type,
            interface: 0,
            data: frame,
            original_len: frame.len() as u32,
        });
    }
    sensor.finish();
    let stats = sensor.stats();
    let accounted = stats.decoded
        + stats.malformed.values().sum::<u64>()
        + stats.unsupported.values().sum::<u64>();
    assert_eq!(
        accounted, stats.packets,
        "every frame is counted exactly once"
    );
    // What the sensor observed goes on into an inventory, as in `wardline analyze`: the
    // conversation fold and device formation see the same hostile input.
    let mut inventory = identify::Inventory::new(identify::InventoryConfig::default());
    let (observations, flows) = sensor.observations();
    for obs in observations {
        inventory.observe(obs);
    }
    for flow in flows {
        inventory.observe_flow(flow);
    }
    sensor.clear_observations();
    let _ = inventory.finish_with_findings();
    for e in sensor.take_events() {
        let _ = serde_json::to_string(&e.body);
    }
});
