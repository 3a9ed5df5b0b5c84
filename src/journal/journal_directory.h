// The journal directory as recovery finds it, checked before any record is read. It may hold
// only segment files (<20 digits>.seg: regular files whose header is good, names the sequence
// their name does, and states the file's size as its capacity) and the writer's spare segment
// (spare.tmp, a regular file). Anything else is damage recovery must not guess around: a stray
// name, a symbolic link, directory or other non-regular file, a bad header, an empty or
// header-short segment with newer ones after it.
//
// One case is not damage: a crash while the journal's first segment was being created (it is
// named, then zero-filled, then given its header) leaves the newest segment empty, shorter than
// its header, or all zeros. Nothing was ever written to such a file (records follow the header),
// so recovery may remove it and lose nothing. A newest segment whose header is zeros but which
// holds other bytes is damage: records may be in it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shmq/error.h"

namespace shmq::journal {

// The writer's segment in preparation (journal_writer.h): the one other name the directory holds.
inline constexpr std::string_view spare_segment_name = "spare.tmp";

struct DamagedEntry {
    std::string path;
    std::string reason; // what is wrong with it, one clause ("header checksum mismatch")
};

struct JournalDirectoryCheck {
    std::vector<DamagedEntry> damaged;           // in name order; recovery refuses while any is there
    std::optional<std::string> unstarted_newest; // the newest segment, never written: safe to remove
};

// Checks directory (which may not exist yet: an empty journal) without changing it; reads every
// segment's header page, and all of a newest segment whose header is zeros. Errors: the
// directory cannot be listed, or is not a directory.
[[nodiscard]] Result<JournalDirectoryCheck> check_journal_directory(const std::string& directory);

} // namespace shmq::journal
