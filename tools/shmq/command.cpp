// What every command shares: reading the queue name out of a --queue-url (a queue URL of this
// account, or the bare name), by the library's one reader of queue URLs.
#include "command.h"

#include "shmq/queue_name.h"

namespace shmq::cli {

CliResult<std::string> queue_name_from_url(std::string_view url) {
    auto name = shmq::queue_name_from_url(url);
    if (!name) {
        return Failure::service(name.error());
    }
    return name->text();
}

} // namespace shmq::cli
