// A message move task as ListMessageMoveTasksResultEntry shapes it (members in the model's
// order; TaskHandle only while RUNNING, optional members only when set).
#pragma once

#include <boost/json/object.hpp>

#include "shmq/client.h"

namespace shmq::api {

[[nodiscard]] boost::json::object move_task_json(const MessageMoveTask& task);

} // namespace shmq::api
