@monnet @receiver-checks @webhook @simulator @mutating
Feature: Monnet negative fixtures against a merchant's receiver
  On request the simulator sends a copy of a notification that is wrong in
  one way. A correct receiver refuses each with a non-2xx answer; a
  byte-identical redelivery is not a forgery and must be acknowledged. The
  suite also runs a deliberately lax receiver (it accepts everything) to show
  that the check catches it, naming each case.

  Background:
    Given the Monnet merchant's receiver answers 200
    And a Monnet payout whose SUCCESS notification was delivered

  Scenario Outline: A correct receiver refuses each forged notification
    Given the Monnet merchant's receiver is the suite's verifying receiver
    When the simulator sends the Monnet forged notification "<forgery>" of the payout
    Then the Monnet receiver refused the forged notification with a non-2xx status

    Examples:
      | forgery            |
      | tampered-body      |
      | no-merchant-prefix |
      | other-merchant     |
      | other-key          |
      | missing-header     |
      | empty-header       |
      | reserialised       |

  Scenario Outline: A lax receiver is caught accepting each forged notification
    Given the Monnet merchant's receiver is the suite's lax receiver
    When the simulator sends the Monnet forged notification "<forgery>" of the payout
    Then the Monnet check of the forged notification fails, naming "<forgery>"

    Examples:
      | forgery            |
      | tampered-body      |
      | no-merchant-prefix |
      | other-merchant     |
      | other-key          |
      | missing-header     |
      | empty-header       |
      | reserialised       |

  @herald-design
  Scenario: A byte-identical redelivery is acknowledged by a correct receiver
    Given the Monnet merchant's receiver is the suite's verifying receiver
    When the Monnet notification of the payout is redelivered through the control API
    Then the Monnet receiver acknowledged the redelivery with a 2xx status
