-- wrk script for the post-validate scenario: POST the item as JSON.
-- The method and body must match the post-validate Scenario in scenarios.py (run.py checks).
wrk.method = "POST"
wrk.body = [[{"name": "Widget", "price": 9.99, "tags": ["a", "b"], "in_stock": true, "quantity": 3}]]
wrk.headers["Content-Type"] = "application/json"
