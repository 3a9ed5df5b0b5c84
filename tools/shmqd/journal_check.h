// What shmqd does with its journal directory before recovering from it (journal_directory.h
// says what the directory may hold). A newest segment nothing was ever written to (a crash while
// it was being created) is removed, with a line saying so, and recovery goes on. Any other damage
// stops shmqd before it reads a record, with one line on stderr that names the first damaged file
// and the command that moves it aside: `shmqd --data-dir DIR --quarantine FILE`. That command
// moves the file (never deletes it, never replaces anything) into DIR/quarantine/ under its
// name and a UTC timestamp, and only a file the check finds damaged: a typo cannot move a
// healthy segment away.
#pragma once

#include <string>

namespace shmq::daemon {

// shmqd's exit status when it refuses to start over a damaged journal (README, shmqd).
inline constexpr int exit_journal_damaged = 3;
// Its exit status when it cannot do what it was asked (an I/O error, a bad --quarantine).
inline constexpr int exit_failure = 1;

// Checks DATA_DIR/journal as above. Returns 0 to go on with recovery; exit_journal_damaged after
// the one-line refusal; exit_failure when the directory cannot be checked or the unstarted
// segment cannot be removed (the reason on stderr). Called before recovery, on the main thread.
[[nodiscard]] int admit_journal(const std::string& data_dir);

// shmqd --quarantine FILE: FILE is a path into DATA_DIR/journal or a bare name there. Moves it
// into DATA_DIR/quarantine/ (created 0700) as NAME.YYYYMMDDTHHMMSSZ (.N added if that exists),
// flushes both directories, and prints what it did on stdout. Returns 0, or exit_failure with the
// reason on stderr and nothing moved.
[[nodiscard]] int quarantine_journal_file(const std::string& data_dir, const std::string& file);

} // namespace shmq::daemon
