"""The matching API for anyone (a profile in, ranked activities with reasons out). The matching
page, where a link worker chooses and books with a person, belongs to referrals."""

from litestar import Router

from matching.api import MatchApi

router = Router(path="/", route_handlers=[MatchApi])
