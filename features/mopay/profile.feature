@mopay @profile
Feature: Mopay registration and login
  As an integrator of Mopay
  I want registration and login to hand my device a key pair
  So that I can sign every later request

  @mutating
  Scenario: Registration issues a key pair that works
    Given I have registered a new Mopay account
    When I call "user_notice_fetch" signed
    Then the call succeeds

  @mutating
  Scenario: Login issues a new key pair that works
    Given I have registered a new Mopay account
    When I log in again on the same device
    And I call "user_notice_fetch" signed
    Then the call succeeds

  @herald-design @mutating
  Scenario: Herald's keys are 64 and 128 hex digits
    Given I have registered a new Mopay account
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
  Scenario: A wrong password does not log in
    Given I have registered a new Mopay account
    When I send a POST to "user_profile_login" with body:
      """
      {"emal":"{email}","pswd":"Wrong-Pass1","devt":"Web","devs":"d","devn":"n"}
      """
    Then the call fails with MSG "login_failed" and code 401

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
