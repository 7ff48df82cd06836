// The metrics of a finished stream: a few counter increments in the worker's own block.

#include <gantry/proxy/downstream_connection.h>
#include <gantry/proxy/stream.h>

namespace gantry::proxy {

void Stream::record_metrics(std::chrono::nanoseconds request_time) {
    if (listener_ == nullptr) {
        return;
    }
    const observability::ListenerMetricIds& ids = listener_->metrics;
    // A client that left before the response counts as nginx's 499, as in the access log.
    int status = response_status_ != 0 ? response_status_ : error_.to_status();
    connection_->worker().metrics().on_request(ids.series_for(route_), ids.listener, status,
                                               request_time, is_local_reply_,
                                               error_.kind == ProxyError::Kind::DownstreamTimeout ||
                                                   error_.kind == ProxyError::Kind::HeaderTimeout);
}

}  // namespace gantry::proxy
