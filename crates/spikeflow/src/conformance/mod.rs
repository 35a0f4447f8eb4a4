//! Replay of BindsNET reference runs.
