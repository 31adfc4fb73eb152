//! Telnet command stripping (RFC 854 "TELNET COMMAND STRUCTURE", RFC 855 subnegotiation):
//! the NVT data bytes of a stream, one byte at a time, so a command split across segments (or
//! a keystroke per segment with negotiation between) is handled without buffering.

/// RFC 854: Interpret As Command.
pub(crate) const IAC: u8 = 255;
/// RFC 854: option negotiation verbs, 251–254.
pub(crate) const WILL: u8 = 251;
/// RFC 854 DONT.
pub(crate) const DONT: u8 = 254;
/// RFC 855: subnegotiation begin.
pub(crate) const SB: u8 = 250;
/// RFC 855: subnegotiation end.
pub(crate) const SE: u8 = 240;

/// Where the decoder is in the command syntax.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum State {
    /// Plain data.
    #[default]
    Data,
    /// After IAC.
    Iac,
    /// After IAC WILL/WONT/DO/DONT: the option code comes next.
    Option,
    /// Inside IAC SB … IAC SE (RFC 855): parameters, not data.
    Sb,
    /// After IAC inside a subnegotiation.
    SbIac,
}

/// What one byte was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Byte {
    /// An NVT data byte (IAC IAC gives 255).
    Data(u8),
    /// Part of a command.
    Command,
    /// IAC followed by a byte that is no command (RFC 854 defines 240–255 only).
    Invalid,
}

/// The command-stripping state of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Decoder {
    state: State,
}

impl Decoder {
    /// Reads one byte.
    pub(crate) fn push(&mut self, b: u8) -> Byte {
        let (next, out) = match (self.state, b) {
            (State::Data, IAC) => (State::Iac, Byte::Command),
            (State::Data, _) => (State::Data, Byte::Data(b)),
            // RFC 854: IAC IAC is the data byte 255.
            (State::Iac, IAC) => (State::Data, Byte::Data(IAC)),
            (State::Iac, WILL..=DONT) => (State::Option, Byte::Command),
            (State::Iac, SB) => (State::Sb, Byte::Command),
            // SE, NOP, DM, BRK, IP, AO, AYT, EC, EL, GA: two-byte commands.
            (State::Iac, SE..=249) => (State::Data, Byte::Command),
            (State::Iac, _) => (State::Data, Byte::Invalid),
            (State::Option, _) => (State::Data, Byte::Command),
            (State::Sb, IAC) => (State::SbIac, Byte::Command),
            (State::Sb, _) => (State::Sb, Byte::Command),
            (State::SbIac, SE) => (State::Data, Byte::Command),
            // IAC IAC inside SB is a parameter byte 255; anything else is tolerated.
            (State::SbIac, _) => (State::Sb, Byte::Command),
        };
        self.state = next;
        out
    }
}

/// Server prompts that ask for a user name, compared case-insensitively with spaces dropped
/// (so `User name:` is `username:`): `login:`, `Username:`.
const USER_PROMPTS: &[&[u8]] = &[b"login:", b"username:"];
/// The password prompt.
const PASSWORD_PROMPT: &[u8] = b"password:";

/// A prompt the server showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prompt {
    User,
    Password,
}

/// The tail of the server's current line (lower-cased data bytes, spaces dropped), to spot
/// prompts.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PromptWatch {
    tail: [u8; 16],
    len: usize,
}

impl PromptWatch {
    /// One server data byte; a prompt when the line now ends with one.
    pub(crate) fn push(&mut self, b: u8) -> Option<Prompt> {
        match b {
            b'\r' | b'\n' => {
                *self = Self::default();
                return None;
            }
            0 => return None,
            b' ' | b'\t' => {}
            _ => {
                if self.len == self.tail.len() {
                    self.tail.copy_within(1.., 0);
                    self.len -= 1;
                }
                if let Some(slot) = self.tail.get_mut(self.len) {
                    *slot = b.to_ascii_lowercase();
                    self.len += 1;
                }
            }
        }
        let tail = self.tail.get(..self.len).unwrap_or_default();
        let prompt = if tail.ends_with(PASSWORD_PROMPT) {
            Some(Prompt::Password)
        } else if USER_PROMPTS.iter().any(|p| tail.ends_with(p)) {
            Some(Prompt::User)
        } else {
            None
        };
        if prompt.is_some() {
            // Reported once: what follows on the line must make a new prompt (servers send
            // "login: " and later "Password:" without a line break between).
            self.len = 0;
        }
        prompt
    }
}
