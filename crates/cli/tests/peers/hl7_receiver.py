"""An HL7 v2 MLLP receiver for the real-peer test, built on hl7apy's MLLPServer (a maintained
HL7 library): answers every ORU^R01 and ADT^A01 with an MLLP-framed ACK (MSA|AA)."""
import sys

from hl7apy.mllp import AbstractHandler, MLLPServer


class Ack(AbstractHandler):
    def reply(self):
        control_id = self.incoming_message.split("\r")[0].split("|")[9]
        ack = (
            "MSH|^~\\&|HL7_ENGINE|GENERAL_HOSPITAL|MONITOR_GW|ICU|20261202120000||ACK^R01|A"
            + control_id
            + "|P|2.5.1\rMSA|AA|"
            + control_id
            + "\r"
        )
        return "\x0b" + ack + "\x1c\r"


host, port = sys.argv[1], int(sys.argv[2])
handlers = {"ORU^R01^ORU_R01": (Ack,), "ORU^R01": (Ack,), "ADT^A01": (Ack,), "ADT^A01^ADT_A01": (Ack,)}
server = MLLPServer(host, port, handlers)
server.serve_forever()
