//! The device taxonomy's derived facts (DESIGN §4).

/// A category's default criticality: `life_sustaining`, `patient_connected`, `clinical`,
/// `facility`, `business`, `personal` or `unknown`.
pub fn criticality(category: &str) -> &'static str {
    match category {
        "infusion_pump" | "ventilator" | "anesthesia_machine" | "dialysis_machine" => {
            "life_sustaining"
        }
        "patient_monitor"
        | "monitor_gateway"
        | "ecg"
        | "telemetry_transmitter"
        | "wearable_sensor" => "patient_connected",
        "imaging_modality"
        | "pacs"
        | "imaging_workstation"
        | "lab_analyzer"
        | "poc_analyzer"
        | "lab_middleware"
        | "medication_cabinet"
        | "smart_bed"
        | "nurse_call"
        | "rtls"
        | "medical_other"
        | "ehr_server"
        | "interface_engine"
        | "medical_device_server"
        | "clinical_workstation" => "clinical",
        "hvac_controller"
        | "building_controller"
        | "access_control"
        | "ip_camera"
        | "power_device"
        | "lighting_controller" => "facility",
        "workstation"
        | "server"
        | "printer"
        | "ip_phone"
        | "network_switch"
        | "router"
        | "firewall"
        | "wireless_ap"
        | "wireless_controller"
        | "storage"
        | "smart_plug"
        | "smart_hub"
        | "smart_speaker"
        | "iot_sensor"
        | "media_device"
        | "iot_other" => "business",
        "mobile_phone" | "tablet" | "laptop" | "wearable" => "personal",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn criticality_follows_the_taxonomy() {
        assert_eq!(super::criticality("infusion_pump"), "life_sustaining");
        assert_eq!(super::criticality("patient_monitor"), "patient_connected");
        assert_eq!(super::criticality("pacs"), "clinical");
        assert_eq!(super::criticality("ip_camera"), "facility");
        assert_eq!(super::criticality("printer"), "business");
        assert_eq!(super::criticality("tablet"), "personal");
        assert_eq!(super::criticality("toaster"), "unknown");
    }
}
