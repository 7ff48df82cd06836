#include <gantry/error.h>

namespace gantry {

std::string_view ProxyError::name() const {
    switch (kind) {
        case Kind::None:
            return "";
        case Kind::BadRequest:
            return "bad-request";
        case Kind::NoRoute:
            return "no-route";
        case Kind::HeaderTimeout:
            return "header-timeout";
        case Kind::BodyTooLarge:
            return "body-too-large";
        case Kind::HeadersTooLarge:
            return "headers-too-large";
        case Kind::ConnectFailure:
            return "upstream-connect-failure";
        case Kind::UpstreamReset:
            return "upstream-reset";
        case Kind::InvalidResponse:
            return "upstream-invalid-response";
        case Kind::NoHealthyEndpoint:
            return "no-healthy-endpoint";
        case Kind::Overloaded:
            return "overloaded";
        case Kind::UpstreamTimeout:
            return "upstream-timeout";
        case Kind::DownstreamReset:
            return "downstream-reset";
        case Kind::DownstreamTimeout:
            return "downstream-timeout";
        case Kind::Draining:
            return "draining";
        case Kind::Internal:
            return "internal-error";
    }
    return "unknown";
}

int ProxyError::to_status() const {
    switch (kind) {
        case Kind::None:
            return 200;
        case Kind::BadRequest:
            return 400;
        case Kind::NoRoute:
            return 404;
        case Kind::HeaderTimeout:
            return 408;
        case Kind::BodyTooLarge:
            return 413;
        case Kind::HeadersTooLarge:
            return 431;
        case Kind::ConnectFailure:
        case Kind::UpstreamReset:
        case Kind::InvalidResponse:
            return 502;
        case Kind::NoHealthyEndpoint:
        case Kind::Overloaded:
        case Kind::Draining:
            return 503;
        case Kind::UpstreamTimeout:
            return 504;
        case Kind::DownstreamReset:
            return 499;
        case Kind::DownstreamTimeout:
            return 408;
        case Kind::Internal:
            return 500;
    }
    return 500;
}

bool ProxyError::retryable() const {
    switch (kind) {
        case Kind::ConnectFailure:
        case Kind::UpstreamReset:
        case Kind::UpstreamTimeout:
        case Kind::NoHealthyEndpoint:
            return side == Side::Upstream;
        default:
            return false;
    }
}

ProxyError::Kind kind_for_status(int status) {
    switch (status) {
        case 408:
            return ProxyError::Kind::HeaderTimeout;
        case 413:
            return ProxyError::Kind::BodyTooLarge;
        case 431:
            return ProxyError::Kind::HeadersTooLarge;
        case 502:
            return ProxyError::Kind::InvalidResponse;
        default:
            return ProxyError::Kind::BadRequest;
    }
}

}  // namespace gantry
