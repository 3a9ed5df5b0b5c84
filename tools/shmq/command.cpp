// What every command shares: reading the queue name out of a --queue-url.
#include "command.h"

namespace shmq::cli {

CliResult<std::string> queue_name_from_url(std::string_view url) {
    std::string name = Client::name_from_url(url);
    if (name.empty()) {
        return Failure::service(Errc::invalid_parameter_value,
                                "Value " + std::string(url) +
                                    " for parameter QueueUrl is invalid. Reason: the URL must end "
                                    "in the queue name.");
    }
    return name;
}

} // namespace shmq::cli
