@monnet @simulator
Feature: Monnet negative fixtures against a merchant's receiver
  On request the simulator sends a notification that is wrong in one way. A
  correct receiver refuses each with a non-2xx answer; a byte-identical
  redelivery is not a forgery and must be acknowledged. The suite runs a
  deliberately lax receiver (it accepts everything) to show the check catches it.

  Background:
    Given the Monnet merchant "22" with the vendor's example API key and secret
    And a Monnet payout of merchant "22" whose SUCCESS notification was delivered

  Scenario Outline: A correct receiver refuses each forged notification
    Given the Monnet receiver for merchant "22" is the suite's verifying receiver
    When the simulator sends the Monnet forged notification "<forgery>" of the payout
    Then the Monnet receiver answers it with a non-2xx status
    And the Monnet delivery log shows the forged notification "<forgery>" was refused

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
    Given the Monnet receiver for merchant "22" is the suite's lax receiver
    When the simulator sends the Monnet forged notification "<forgery>" of the payout
    Then the Monnet delivery log shows the forged notification "<forgery>" was wrongly acknowledged with a 2xx

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
    Given the Monnet receiver for merchant "22" is the suite's verifying receiver
    When the Monnet notification of the payout is redelivered through the control API
    Then the Monnet receiver answers it with a 2xx status
