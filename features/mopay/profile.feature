@mopay @profile
Feature: Mopay registration and login
  As an integrator of Mopay
  I want registration and login to hand my device a key pair
  So that I can sign every later request

  The vendor: "Your public and secret keys are automatically issued when you register or
  login". Logging in to the account a target gives changes nothing that outlives the run
  (@mopay-login, not @mutating); registering does (@mutating).

  @mutating
  Scenario: Registration issues a key pair that works
    Given I have registered a new Mopay account
    When I call "user_notice_fetch" signed
    Then the call succeeds

  @mopay-login
  Scenario: Login issues a key pair that works
    Given I log in to Mopay with the account's email and password
    When I call "user_notice_fetch" signed
    Then the call succeeds

  Scenario: An address with no account cannot log in
    When I log in to Mopay with an address that has no account
    Then the call is refused

  @mopay-login
  Scenario: A wrong password does not log in to the account
    One failed login a run, on the account the target gives; every other scenario logs in.

    When I log in to Mopay with the account's email and a wrong password
    Then the call is refused

  @herald-design @mopay-login
  Scenario: Herald's keys are 64 and 128 hex digits
    Given I log in to Mopay with the account's email and password
    Then the answer carries a 64-hex public key and a 128-hex secret

  @herald-design @mutating
  Scenario: An address registers only once
    Given I have registered a new Mopay account
    When I send a POST to "user_profile_create" with body:
      """
      {"fsnm":"Ada","lsnm":"Obi","emal":"{email}","pswd":"Another-Pass1","devt":"iOS","devs":"phone-2","devn":"Phone"}
      """
    Then the call fails with MSG "already_registered" and code 409

  @herald-design @mutating
  Scenario: A wrong password is login_failed
    Given I have registered a new Mopay account
    When I send a POST to "user_profile_login" with body:
      """
      {"emal":"{email}","pswd":"Wrong-Pass1","devt":"Web","devs":"d","devn":"n"}
      """
    Then the call fails with MSG "login_failed" and code 401

  @herald-design @mutating
  Scenario: Registration with a push token lists it among the user's notifications
    Given I have registered a new Mopay account with the push token "ExponentPushToken[herald-suite]"
    When I call "user_notification_fetch" signed with query "rqtp=user"
    Then the call succeeds
    And DATA holds 1 record
    And every record in DATA has "userid" equal to "{userid}"
    And every record in DATA has "push_token" equal to "ExponentPushToken[herald-suite]"

  @mutating
  Scenario Outline: A registration the documented rules forbid is refused
    The vendor documents fsnm, lsnm, emal, pswd, devt, devs and devn as required, the password
    as at least 8 characters with an uppercase letter, a lowercase letter and a number, and devt
    as Android, iOS or Web. The name of each refusal is Herald's (below).

    Given a new email address
    When I send a POST to "user_profile_create" with body:
      """
      <body>
      """
    Then the call is refused

    Examples:
      | body                                                                                            |
      | {"lsnm":"Obi","emal":"{email}","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}           |
      | {"fsnm":"Ada","emal":"{email}","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}           |
      | {"fsnm":"Ada","lsnm":"Obi","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}               |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"{email}","devt":"Web","devs":"d","devn":"n"}                 |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"{email}","pswd":"password1","devt":"Web","devs":"d","devn":"n"} |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"{email}","pswd":"PASSWORD1","devt":"Web","devs":"d","devn":"n"} |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"{email}","pswd":"Password","devt":"Web","devs":"d","devn":"n"}  |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"{email}","pswd":"Pass1wd","devt":"Web","devs":"d","devn":"n"}   |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"{email}","pswd":"Passw0rdX","devs":"d","devn":"n"}           |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"{email}","pswd":"Passw0rdX","devt":"Symbian","devs":"d","devn":"n"} |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"{email}","pswd":"Passw0rdX","devt":"Web","devn":"n"}         |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"{email}","pswd":"Passw0rdX","devt":"Web","devs":"d"}         |

  @herald-design @mutating
  Scenario Outline: Registration names the field at fault
    When I send a POST to "user_profile_create" with body:
      """
      <body>
      """
    Then the call fails with MSG "<error>" and code 400
    And the error details mention "<field>"

    Examples:
      | body                                                                                                         | error         | field |
      | {"lsnm":"Obi","emal":"a@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}                  | fsnm_required | fsnm  |
      | {"fsnm":"","lsnm":"Obi","emal":"a@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}        | fsnm_required | fsnm  |
      | {"fsnm":42,"lsnm":"Obi","emal":"a@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}        | fsnm_invalid  | fsnm  |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"not-an-address","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}    | emal_invalid  | emal  |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"a@example.com","pswd":"password","devt":"Web","devs":"d","devn":"n"}      | pswd_invalid  | pswd  |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"a@example.com","pswd":"Passw0rdX","devt":"Symbian","devs":"d","devn":"n"} | devt_invalid  | devt  |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"a@example.com","pswd":"Passw0rdX","devt":"Web","devn":"n"}                | devs_required | devs  |
      | {"fsnm":"Ada","lsnm":"Obi","emal":"a@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":["n"]}   | devn_invalid  | devn  |
      | {"fsnm":"Ada","fsnm":5,"lsnm":"Obi","emal":"a@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"} | fsnm_invalid | fsnm |
      | {"fsnm":1e999999,"lsnm":"Obi","emal":"a@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}  | fsnm_invalid  | range |
