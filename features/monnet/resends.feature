@monnet @delivery @webhook @mutating
Feature: Monnet notifications sent again carry the same bytes
  The signature covers the merchantId and the raw body and nothing else: no
  timestamp, no nonce. A notification Monnet sends again for a payout and
  stage must be the same bytes, body and verification header, or it is
  another notification. The vendor documents no retries and no
  deduplication; these scenarios hold any target only to the same bytes.
  Throughout every Monnet scenario, the suite's receiver also judges each
  notification of the scenario's payouts as it arrives, however late: it
  must conform to the spec, verify with the notifier certificate, and repeat
  the first of its payout and stage byte for byte.

  Scenario: A notification answered with a 5xx and sent again carries the same bytes
    Given the Monnet merchant's receiver answers 503, then 200
    When the Monnet merchant creates a payout with orderId "RESEND-503"
    And the Monnet payout reaches its final stage
    Then a Monnet SUCCESS notification for the payout arrives
    And the Monnet receiver answered that notification 503
    And a new Monnet attempt at that notification, if one comes within the retry wait, carries the same bytes, body and verification header

  Scenario: An acknowledged notification is never followed by a different one for the same payout and stage
    Given the Monnet merchant's receiver answers 200
    When the Monnet merchant creates a payout with orderId "RESEND-200"
    And the Monnet payout reaches its final stage
    Then a Monnet SUCCESS notification for the payout arrives
    And the Monnet receiver answered that notification 200
    And no differing Monnet notification for the payout arrives within the retry wait
